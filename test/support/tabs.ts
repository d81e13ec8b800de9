/**
 * Multi-tab test support (Node side): a browser session (test/support/browser-session.ts) per
 * test file, in the engine of the Vitest project that runs it (`tabs`: Chromium, `tabs-firefox`:
 * Firefox, through SQLITE_BATON_ENGINE), and `testWith` for the few tests that need a capability
 * one engine lacks.
 *
 * Plain erasable TypeScript (runs under Node 24's native type stripping as well as under Vitest).
 */
import { inject, test } from 'vitest';
import { startBrowserSession, type BrowserSession, type BrowserSessionOptions } from './browser-session.ts';
import { engineFromEnv, missingCapability, type Capability } from './engine.ts';
import { sleep } from './sleep.ts';

export type TabsSession = BrowserSession;

declare module 'vitest' {
  interface ProvidedContext {
    /** The shared Firefox's endpoint (test/support/shared-firefox.setup.ts), in the tabs-firefox project. */
    sqliteBatonFirefox?: string;
  }
}

/** A browser session for a test file; in the tabs-firefox project, of the shared Firefox where it can be. */
export function startTabs(opts: BrowserSessionOptions = {}): Promise<TabsSession> {
  return startBrowserSession({ sharedFirefox: inject('sqliteBatonFirefox'), ...opts });
}

/**
 * One session for a whole test file: started before its tests, closed after them. Returns a
 * getter, since the session exists only once `beforeAll` has run.
 */
export function useTabs(
  hooks: { beforeAll(fn: () => Promise<void>, timeout?: number): void; afterAll(fn: () => Promise<void>): void },
  opts?: BrowserSessionOptions,
): () => TabsSession {
  let session: TabsSession | undefined;
  hooks.beforeAll(async () => {
    session = await startTabs(opts);
  });
  hooks.afterAll(async () => {
    await session?.close();
  });
  return () => {
    if (!session) throw new Error('the tabs session is not started yet (use it inside a test)');
    return session;
  };
}

/**
 * `test` where this process's engine has every capability in `needs`, else `test.skip`, with the
 * reason printed once, so that a skipped case says why in the run's output.
 */
export function testWith(...needs: Capability[]): ReturnType<typeof test.skipIf> {
  const engine = engineFromEnv();
  const reasons = needs.map((need) => missingCapability(engine, need)).filter((reason) => reason !== undefined);
  if (reasons.length > 0) console.log(`[${engine}] skipping the tests that need ${needs.join(', ')}: ${reasons.join('; ')}`);
  return test.skipIf(reasons.length > 0);
}

/**
 * Resolves once `check` (run in Node: a tab's `evaluate`, or several tabs' at once) returns true;
 * throws after `timeout` ms naming `what`. For one tab, `tab.waitForFunction` does the same with
 * a page function (it awaits one that returns a promise).
 */
export async function until(check: () => Promise<boolean>, what: string, timeout = 20_000): Promise<void> {
  const end = Date.now() + timeout;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await sleep(25);
  }
}
