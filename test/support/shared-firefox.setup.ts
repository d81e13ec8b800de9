/**
 * Global setup of the tabs-firefox project: one Firefox for the whole multi-tab suite, which each
 * test file's session connects to (test/support/tabs.ts) instead of launching its own; each
 * session gets a user context of its own (fresh storage, locks and channels). Sessions that need
 * another profile, a quota or host aliases still launch their own Firefox.
 */
import type { TestProject } from 'vitest/node';
import { launchSharedFirefox } from './firefox-tab.ts';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const shared = await launchSharedFirefox();
  project.provide('sqliteBatonFirefox', shared.endpoint);
  return () => shared.close();
}
