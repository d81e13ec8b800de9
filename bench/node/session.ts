/**
 * The bench's browser session (Node side): a Vite dev server from the project's vite.config.ts
 * (as test/support/tabs.ts starts it) and the tests' headless Chromium, with ONE browser context
 * so that every tab shares one origin's OPFS and Web Locks.
 *
 * The context is a persistent one, on disk, by default: an incognito context (Playwright's
 * newContext) may keep OPFS in memory, and flushes would then cost nothing, which would flatter
 * every durable figure. `profile: 'memory'` is there to compare.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright';
import { createServer, type ViteDevServer } from 'vite';
import { CHROMIUM_ARGS, launchChromium, resolveChromium } from '../../test/support/chromium.ts';
import { findBrowserPid, treeCpuMs } from './cpu.ts';
import { INSECURE_HOST } from './plan.ts';

/** The non-secure origin's host name resolves to the dev server (see plan.ts INSECURE_HOST). */
const HOST_ALIAS = `--host-resolver-rules=MAP ${INSECURE_HOST} 127.0.0.1`;

export type CpuSample = ReturnType<typeof treeCpuMs>;

export interface BenchSession {
  baseUrl: string;
  context: BrowserContext;
  /** `HeadlessChrome/x.y.z.w` as the pages see it. */
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
  openTab(path: string, label?: string): Promise<Page>;
  close(): Promise<void>;
}

const OPFS_LOCK_FAILURE = /xLock\(\) async error|GetSyncHandleError/;

const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
const configFile = fileURLToPath(new URL('../../vite.config.ts', import.meta.url));

export async function startSession(
  // env: added to the browser's environment (the slow-flush profile's LD_PRELOAD shim).
  options: { profile?: 'disk' | 'memory'; env?: Record<string, string> } = {},
): Promise<BenchSession> {
  const profile = options.profile ?? 'disk';
  let server: ViteDevServer | undefined;
  let context: BrowserContext | undefined;
  let closeBrowser: (() => Promise<void>) | undefined;
  let userDataDir: string | undefined;

  const close = async () => {
    await context?.close().catch(() => {});
    await closeBrowser?.().catch(() => {});
    await server?.close().catch(() => {});
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  };

  try {
    server = await createServer({
      configFile,
      root: projectRoot,
      logLevel: 'silent',
      clearScreen: false,
      // Its own cache: the tests' dev servers may be optimizing into node_modules/.vite right now.
      cacheDir: join(projectRoot, 'node_modules/.vite-bench'),
      // No file watcher and no HMR: nothing may reload a page in the middle of a measurement.
      server: { port: 0, host: '127.0.0.1', strictPort: false, watch: null, hmr: false },
      // Merged into the config file's lists. SQLocal, like sqlite-wasm, must not be pre-bundled (it
      // starts its worker and finds its .wasm by URLs relative to its own files); its CommonJS-free
      // dependency is pre-bundled up front so that no page is reloaded by a late re-optimization.
      optimizeDeps: { exclude: ['sqlocal'], include: ['sqlocal > coincident'] },
    });
    await server.listen();
    const address = server.httpServer?.address() as AddressInfo | null;
    if (!address || typeof address === 'string') throw new Error('Vite dev server has no TCP address');
    const baseUrl = `http://127.0.0.1:${address.port}`;

    if (profile === 'disk') {
      const { chromium } = await import('playwright');
      userDataDir = mkdtempSync(join(tmpdir(), 'sqlite-baton-bench-'));
      context = await chromium.launchPersistentContext(userDataDir, {
        headless: true,
        executablePath: await resolveChromium(),
        args: [...CHROMIUM_ARGS, HOST_ALIAS],
        ...(options.env ? { env: { ...process.env, ...options.env } } : {}),
      });
    } else {
      const browser = await launchChromium({ args: [HOST_ALIAS] });
      closeBrowser = () => browser.close();
      context = await browser.newContext();
    }
    // A persistent context opens with one blank tab; it is not ours to keep.
    for (const page of context.pages()) await page.close();

    const pageErrors: string[] = [];
    const lockFailures: Record<string, number> = {};
    let tabs = 0;
    const ctx = context;
    const openTab = async (path: string, label?: string): Promise<Page> => {
      const name = label ?? `tab ${++tabs}`;
      const page = await ctx.newPage();
      let loaded = false;
      page.on('framenavigated', (frame) => {
        if (frame === page.mainFrame() && loaded) pageErrors.push(`[${name} ${path}] navigated again to ${frame.url()}`);
      });
      page.on('pageerror', (error) => pageErrors.push(`[${name} ${path}] ${error.stack ?? error.message}`));
      page.on('console', (message) => {
        // Vite's client says so before it reloads a page (lost connection, re-optimized deps).
        const text = message.text();
        if (message.type() === 'error' && OPFS_LOCK_FAILURE.test(text)) {
          lockFailures[path] = (lockFailures[path] ?? 0) + 1;
          return;
        }
        if (message.type() === 'error' || /^\[vite\].*(lost|reload|optimiz)/i.test(text))
          pageErrors.push(`[${name} ${path}] console.${message.type()}: ${text}`);
      });
      await page.goto(/^https?:/.test(path) ? path : baseUrl + path);
      loaded = true;
      await page.waitForFunction(() => window.__benchReady === true || window.__benchError !== undefined, undefined, {
        timeout: 60_000,
      });
      const failed = await page.evaluate(() => window.__benchError);
      if (failed) throw new Error(`${path}: ${failed}`);
      return page;
    };

    const probe = await openTab('/bench/index.html', 'version');
    const userAgent = await probe.evaluate(() => navigator.userAgent);
    await probe.close();
    const browserVersion = /(?:Headless)?Chrome\/[\d.]+/.exec(userAgent)?.[0] ?? userAgent;

    const browserPid = userDataDir ? findBrowserPid(userDataDir) : undefined;
    const cpuMs = () => (browserPid === undefined ? undefined : treeCpuMs(browserPid));

    return { baseUrl, context, browserVersion, profile, pageErrors, lockFailures, cpuMs, openTab, close };
  } catch (error) {
    await close();
    throw error;
  }
}
