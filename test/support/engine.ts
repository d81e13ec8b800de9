/**
 * The browser engines the tests run in, which one a process uses, and what each can do.
 *
 * The engine comes from SQLITE_BATON_ENGINE ('chromium', the default, or 'firefox'): the `tabs`
 * and `tabs-firefox` Vitest projects set it, and scripts pass it on to the processes they start.
 *
 * Plain erasable TypeScript (runs under Node 24's native type stripping as well as under Vitest).
 */
import { findExecutable, isExecutable } from './executable.ts';

export type Engine = 'chromium' | 'firefox';

export const ENGINES: readonly Engine[] = ['chromium', 'firefox'];

export const ENGINE_ENV = 'SQLITE_BATON_ENGINE';

/** The engine this process drives: SQLITE_BATON_ENGINE, else Chromium. */
export function engineFromEnv(): Engine {
  const value = process.env[ENGINE_ENV];
  if (value === undefined || value === '') return 'chromium';
  if (value === 'chromium' || value === 'firefox') return value;
  throw new Error(`${ENGINE_ENV} must be one of ${ENGINES.join(', ')}; got "${value}"`);
}

/** What a test may ask of a tab or a session beyond loading pages and running code in them. */
export type Capability = 'crash' | 'freeze' | 'worker-memory' | 'stall-worker';

/**
 * Per engine: undefined where the engine can do it, else why not. Tests that need a capability
 * the engine lacks are skipped with this text (see test/support/tabs.ts `testWith`).
 */
const MISSING: Record<Engine, Partial<Record<Capability, string>>> = {
  chromium: {},
  firefox: {
    freeze:
      'Firefox has no way to freeze a live tab (no Page Lifecycle freeze, nothing over WebDriver BiDi); ' +
      'its frozen pages are those in the back/forward cache, which test/tabs/bfcache.test.ts covers',
    'stall-worker': 'WebDriver BiDi cannot run code in a dedicated worker, so a test cannot block one thread of a tab',
    'worker-memory':
      "reading a worker's JS heap after a garbage collection needs DevTools (Runtime.getHeapUsage, " +
      'HeapProfiler.collectGarbage on the worker target); WebDriver BiDi has no memory commands, and Firefox no ' +
      'performance.memory: the leader-memory soak runs in Chromium',
  },
};

/** Undefined when `engine` supports `capability`, else the reason it does not. */
export function missingCapability(engine: Engine, capability: Capability): string | undefined {
  return MISSING[engine][capability];
}

const FIREFOX_NAMES = ['firefox-esr', 'firefox'];
const FIREFOX_PATHS = ['/usr/bin/firefox-esr', '/usr/bin/firefox', '/usr/lib/firefox-esr/firefox-esr', '/usr/lib/firefox/firefox'];

/**
 * A Firefox to drive: FIREFOX_PATH, else `firefox-esr` or `firefox` on PATH or at Debian's
 * locations. `{ reason }` says why there is none.
 */
export function findFirefox(): { path: string } | { reason: string } {
  const fromEnv = process.env.FIREFOX_PATH;
  if (fromEnv) return isExecutable(fromEnv) ? { path: fromEnv } : { reason: `FIREFOX_PATH=${fromEnv} is not an executable file` };
  const found = findExecutable(FIREFOX_NAMES, FIREFOX_PATHS);
  if (found) return { path: found };
  return { reason: 'no Firefox found (FIREFOX_PATH unset, no firefox-esr or firefox on PATH); as root: apt-get install -y firefox-esr' };
}
