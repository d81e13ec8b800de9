/// <reference types="vitest/config" />
/**
 * One config for three users:
 *  - `npm run demo` (`vite`): the demo dev server, root = project root, serving index.html;
 *  - `vitest`: the `browser` project (single tab, real Chromium through Vitest browser mode), the
 *    `tabs` project (Node tests that drive several tabs of one browser profile, see
 *    test/support/browser-session.ts), and the same two in Firefox (`browser-firefox`,
 *    `tabs-firefox`) whenever a Firefox is found;
 *  - test/support/browser-session.ts, which starts a dev server from this file for the multi-tab
 *    tests, the bench and the scripts.
 */
import { fileURLToPath } from 'node:url';
import type { Connect, Plugin } from 'vite';
import { defineConfig } from 'vitest/config';
import type { ViteUserConfig } from 'vitest/config';
import { playwright } from '@vitest/browser-playwright';
import { CHROMIUM_ARGS, resolveChromium } from './test/support/chromium.ts';
import { ENGINE_ENV, findFirefox } from './test/support/engine.ts';
import { firefox } from './test/support/firefox-provider.ts';
import { SHORT_ENV } from './test/support/short-form.ts';

/** Pages under these paths get cross-origin isolation (SharedArrayBuffer); nothing else does. */
const ISOLATED_PREFIXES = ['/demo/naive', '/bench/isolated', '/test/tabs/isolated/'];

function isIsolatedPath(path: string): boolean {
  return ISOLATED_PREFIXES.some((prefix) => path.startsWith(prefix));
}

function pathnameOf(url: string | undefined): string {
  if (!url) return '';
  try {
    return new URL(url, 'http://localhost').pathname;
  } catch {
    return '';
  }
}

/**
 * The library must work WITHOUT COOP/COEP, so the dev server sends none by default. Only requests
 * whose path starts with /demo/naive get them (a demo that needs SharedArrayBuffer), plus the
 * worker scripts started, directly or through other workers, from such a page: Chromium refuses to
 * load a worker script without `COEP: require-corp` into a `require-corp` page or worker ("load
 * failed", checked here), and the worker URLs (/worker/..., sqlite-wasm's OPFS proxy worker under
 * /node_modules/...) are not under /demo/naive. Such requests are recognised by
 * `Sec-Fetch-Dest: worker` and a Referer that is an isolated page or an isolated worker script.
 */
function isolateNaiveDemo(): Plugin {
  const isolatedWorkers = new Set<string>();
  const middleware: Connect.NextHandleFunction = (req, res, next) => {
    const path = pathnameOf(req.url);
    let isolate = isIsolatedPath(path);
    const dest = req.headers['sec-fetch-dest'];
    if (!isolate && (dest === 'worker' || dest === 'sharedworker')) {
      const referrer = pathnameOf(req.headers.referer);
      if (isIsolatedPath(referrer) || isolatedWorkers.has(referrer)) {
        isolate = true;
        isolatedWorkers.add(path);
      }
    }
    if (isolate) {
      res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
      res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
    }
    next();
  };
  return {
    name: 'sqlite-baton:isolate-naive-demo',
    configureServer(server) {
      server.middlewares.use(middleware);
    },
    configurePreviewServer(server) {
      server.middlewares.use(middleware);
    },
  };
}

/**
 * The Firefox leg runs whenever a Firefox is found (SQLITE_BATON_FIREFOX=off turns it off). When
 * it does not, the run says so, once, in the main Vitest process (not in each dev server the
 * multi-tab tests start from this file).
 */
function firefoxLeg(): boolean {
  const found = process.env.SQLITE_BATON_FIREFOX === 'off' ? { reason: 'SQLITE_BATON_FIREFOX=off' } : findFirefox();
  const printed = Symbol.for('sqlite-baton.firefox-leg-printed');
  const holder = globalThis as { [printed]?: boolean };
  if ('reason' in found && process.env.VITEST && process.env.VITEST_POOL_ID === undefined && !holder[printed]) {
    holder[printed] = true;
    console.log(`Firefox leg skipped: ${found.reason}`);
  }
  return 'path' in found;
}

/**
 * Tests that end the leader at chosen steps of a commit (test/tabs/crash-points.test.ts, the soak)
 * set SQLITE_BATON_FAULTS=1 before they start the dev server: the worker entry then loads
 * test/support/fault-injection.ts first, which installs the hook of worker/fault-hook.ts. Nothing
 * else loads it, and a build never does.
 */
function faultInjection(): Plugin {
  return {
    name: 'sqlite-baton:fault-injection',
    apply: 'serve',
    transform(code, id) {
      if (process.env.SQLITE_BATON_FAULTS !== '1' || !id.split('?')[0]!.endsWith('/worker/entry.ts')) return undefined;
      return `import '/test/support/fault-injection.ts';\n${code}`;
    },
  };
}

export default defineConfig(async (): Promise<ViteUserConfig> => {
  // Only Vitest needs a browser; the demo server (and tabs.ts, which launches its own) do not.
  const executablePath = process.env.VITEST ? await resolveChromium() : undefined;
  const withFirefox = process.env.VITEST ? firefoxLeg() : false;

  // The Firefox leg runs the heaviest tests' short forms (test/support/short-form.ts), unless
  // SQLITE_BATON_SHORT says otherwise: both legs must fit npm test's time budget.
  const shortFormEnv = { [SHORT_ENV]: process.env[SHORT_ENV] ?? '1' };

  // The single-tab suite: the same files in each engine, through Vitest browser mode.
  const singleTab = {
    include: ['test/**/*.test.ts'],
    exclude: ['test/tabs/**', '**/node_modules/**'],
    // Files share one origin (one OPFS, one set of Web Locks): run them one after another.
    fileParallelism: false,
  };
  // The multi-tab suite: Node tests that drive tabs of the engine SQLITE_BATON_ENGINE names.
  const multiTab = {
    include: ['test/tabs/**/*.test.ts'],
    environment: 'node',
    // Each file starts a dev server and a browser: one file at a time on a 2-core machine.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  };

  return {
    root: fileURLToPath(new URL('.', import.meta.url)),
    plugins: [isolateNaiveDemo(), faultInjection()],
    resolve: {
      // Exactly `sqlite-baton` (a bare `'sqlite-baton': ...` key would also rewrite `sqlite-baton/x`),
      // and each subpath entry to its own source.
      alias: [
        { find: /^sqlite-baton$/, replacement: fileURLToPath(new URL('./src/index.ts', import.meta.url)) },
        { find: /^sqlite-baton\/drizzle$/, replacement: fileURLToPath(new URL('./src/drizzle/index.ts', import.meta.url)) },
        { find: /^sqlite-baton\/kysely$/, replacement: fileURLToPath(new URL('./src/kysely/index.ts', import.meta.url)) },
        { find: /^sqlite-baton\/testing$/, replacement: fileURLToPath(new URL('./src/testing.ts', import.meta.url)) },
        { find: /^sqlite-baton\/react$/, replacement: fileURLToPath(new URL('./src/react/index.ts', import.meta.url)) },
      ],
    },
    optimizeDeps: {
      // Vite's default (every .html under the root) minus the consumer apps of test/consumers/,
      // whose pages import their own builds and packages this install does not have.
      entries: ['**/*.html', '!test/consumers/**'],
      // sqlite-wasm loads its .wasm relative to its own module URL; pre-bundling breaks that. So do
      // the bench's peers wa-sqlite and PGlite (their .wasm and PGlite's .data file).
      exclude: ['@sqlite.org/sqlite-wasm', '@journeyapps/wa-sqlite', '@electric-sql/pglite'],
      // Pre-bundle comlink up front: it is imported from worker modules, which the start-up scan
      // does not follow; found later, it would make Vite re-optimize and reload open pages mid-test.
      // The ORMs of the adapter tests likewise: found mid-run, they would reload the page under a test.
      include: [
        'comlink',
        'fast-check',
        'drizzle-orm',
        'drizzle-orm/cache/core',
        'drizzle-orm/sqlite-core',
        'drizzle-orm/sqlite-proxy',
        'kysely',
        'kysely/migration',
        // The React binding's tests render with React 19.
        'react',
        'react-dom/client',
      ],
    },
    worker: {
      format: 'es',
    },
    server: {
      // The storage tests reach the dev server as http://insecure.test (mapped to 127.0.0.1 by
      // Chromium's host resolver) to get a non-secure origin; `.test` never resolves publicly.
      allowedHosts: ['insecure.test'],
    },
    test: {
      // Projects run one after another, in groupOrder: never two browsers at once. (groupOrder 0
      // would put a project in Vitest's catch-all last group.)
      projects: [
        {
          extends: true,
          test: {
            ...singleTab,
            name: 'browser',
            sequence: { groupOrder: 1 },
            browser: {
              enabled: true,
              provider: playwright({
                launchOptions: { executablePath, args: CHROMIUM_ARGS },
              }),
              instances: [{ browser: 'chromium' }],
              headless: true,
              // Never open the Vitest UI (it defaults on outside CI in watch mode).
              ui: false,
            },
          },
        },
        {
          extends: true,
          test: { ...multiTab, name: 'tabs', sequence: { groupOrder: 2 }, env: { [ENGINE_ENV]: 'chromium' } },
        },
        ...(withFirefox
          ? [
              {
                extends: true,
                test: {
                  ...singleTab,
                  name: 'browser-firefox',
                  env: shortFormEnv,
                  sequence: { groupOrder: 3 },
                  // Opening a database costs Firefox more than Chromium (a new worker and wasm
                  // each time); under load a few tests pass 15 s. Nothing here asserts a timing.
                  testTimeout: 30_000,
                  browser: { enabled: true, provider: firefox(), instances: [{ browser: 'firefox' as const }], headless: true, ui: false },
                },
              },
              {
                extends: true,
                test: {
                  ...multiTab,
                  name: 'tabs-firefox',
                  sequence: { groupOrder: 4 },
                  env: { [ENGINE_ENV]: 'firefox', ...shortFormEnv },
                  // One Firefox for the whole suite: launching one per test file cost seconds each.
                  globalSetup: ['test/support/shared-firefox.setup.ts'],
                },
              },
            ]
          : []),
      ],
    },
  };
});
