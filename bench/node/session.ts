/**
 * The bench's browser session (Node side): the one browser session of the tests and scripts
 * (test/support/browser-session.ts), set up for measuring: the bench pages' ready flags, a Vite
 * cache of its own, and the OPFS lock failures of the naive contender counted apart.
 *
 * The profile is on disk by default: an incognito context may keep OPFS in memory, and flushes
 * would then cost nothing, which would flatter every durable figure. `profile: 'memory'` is there
 * to compare. The engine is SQLITE_BATON_ENGINE's unless given (Chromium by default).
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBrowserSession } from '../../test/support/browser-session.ts';
import type { Engine } from '../../test/support/engine.ts';
import type { Tab } from '../../test/support/tab.ts';
import { treeCpuMs } from './cpu.ts';
import { INSECURE_HOST } from './plan.ts';

export type CpuSample = ReturnType<typeof treeCpuMs>;

export interface BenchSession {
  baseUrl: string;
  engine: Engine;
  /** `HeadlessChrome/x.y.z.w` or `Firefox/x.y.z`, as the browser reports itself. */
  browserVersion: string;
  profile: 'disk' | 'memory';
  /** Page errors of every tab, prefixed by the tab's label. */
  pageErrors: string[];
  /**
   * Per page path: how often sqlite-wasm's `opfs` VFS logged that it gave up taking the file's
   * access handle (6 attempts) because another tab's connection held it. Expected under
   * contention, so counted here rather than listed as page errors.
   */
  lockFailures: Record<string, number>;
  /** CPU ms used so far by every process of the browser (and by process type); undefined where /proc is missing. */
  cpuMs(): CpuSample | undefined;
  /** Opens `path` (or an absolute URL) in a new tab and waits for its window.bench. */
  openTab(path: string, label?: string): Promise<Tab>;
  close(): Promise<void>;
}

const OPFS_LOCK_FAILURE = /xLock\(\) async error|GetSyncHandleError/;

const projectRoot = fileURLToPath(new URL('../..', import.meta.url));

export async function startSession(
  // env: added to the browser's environment (the slow-flush profile's LD_PRELOAD shim).
  options: { profile?: 'disk' | 'memory'; engine?: Engine; env?: Record<string, string> } = {},
): Promise<BenchSession> {
  const profile = options.profile ?? 'disk';
  const lockFailures: Record<string, number> = {};
  const session = await startBrowserSession({
    engine: options.engine,
    profile,
    env: options.env,
    flags: { ready: '__benchReady', error: '__benchError' },
    readyTimeout: 60_000,
    // The non-secure origin (plan.ts INSECURE_HOST) resolves to the dev server: IndexedDB with leases.
    hostAliases: [INSECURE_HOST],
    vite: {
      // Its own cache: the tests' dev servers may be optimizing into node_modules/.vite right now.
      cacheDir: join(projectRoot, 'node_modules/.vite-bench'),
      // Merged into the config file's lists. SQLocal, like sqlite-wasm, must not be pre-bundled (it
      // starts its worker and finds its .wasm by URLs relative to its own files); its CommonJS-free
      // dependency is pre-bundled up front so that no page is reloaded by a late re-optimization.
      optimizeDeps: { exclude: ['sqlocal'], include: ['sqlocal > coincident'] },
    },
    onConsole: ({ path, type, text }) => {
      if (type !== 'error' || !OPFS_LOCK_FAILURE.test(text)) return false;
      lockFailures[path] = (lockFailures[path] ?? 0) + 1;
      return true;
    },
  });
  const browserPid = session.browserPid;
  return {
    baseUrl: session.baseUrl,
    engine: session.engine,
    browserVersion: session.browserVersion,
    profile,
    pageErrors: session.pageErrors,
    lockFailures,
    cpuMs: () => (browserPid === undefined ? undefined : treeCpuMs(browserPid)),
    openTab: (path, label) => session.openTab(path, label),
    close: () => session.close(),
  };
}
