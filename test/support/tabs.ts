/**
 * Multi-tab test support (Node side): a Vite dev server from the project's vite.config.ts plus a
 * headless Chromium with ONE browser context, so that every tab shares one origin's OPFS and Web
 * Locks, as real tabs of one profile do. Used by test/tabs/*.test.ts and by stress/bench scripts.
 *
 * Plain erasable TypeScript (runs under Node 24's native type stripping as well as under Vitest).
 */
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright';
import { createServer } from 'vite';
import type { ViteDevServer } from 'vite';
import { launchChromium } from './chromium.ts';

export const HARNESS_PATH = '/test/tabs/harness.html';

export interface StartTabsOptions {
  /** Default page for openTab(); defaults to the multi-tab harness. */
  path?: string;
  /** Milliseconds openTab() waits for `window.__harnessReady === true`. Default 30 s. */
  readyTimeout?: number;
  /** Host names resolved to 127.0.0.1, e.g. to reach the dev server from a non-secure origin. */
  hostAliases?: readonly string[];
  /** Folders outside the project the dev server may serve (as `/@fs/<path>`), e.g. another build of the library. */
  serve?: string[];
}

export interface TabsSession {
  /** e.g. http://127.0.0.1:41234 (no trailing slash). */
  baseUrl: string;
  browser: Browser;
  /** The one context all tabs are opened in (shared OPFS, Web Locks, BroadcastChannel). */
  context: BrowserContext;
  /** Uncaught page errors and console errors of every tab, prefixed by the tab's number. */
  pageErrors: string[];
  /** Open a new tab at baseUrl + path (or at `path` when absolute; default options.path or the harness) and wait until it is ready. */
  openTab(path?: string): Promise<Page>;
  /** Close browser and dev server. Safe to call more than once. Never rejects. */
  close(): Promise<void>;
}

const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
const configFile = fileURLToPath(new URL('../../vite.config.ts', import.meta.url));

export async function startTabs(opts: StartTabsOptions = {}): Promise<TabsSession> {
  const defaultPath = opts.path ?? HARNESS_PATH;
  const readyTimeout = opts.readyTimeout ?? 30_000;

  let server: ViteDevServer | undefined;
  let browser: Browser | undefined;
  let closing: Promise<void> | undefined;

  const close = (): Promise<void> => {
    closing ??= (async () => {
      // Browser first (its pages hold connections to the server), each step independent of the other.
      await browser?.close().catch(() => {});
      await server?.close().catch(() => {});
    })();
    return closing;
  };

  try {
    server = await createServer({
      configFile,
      root: projectRoot,
      logLevel: 'silent',
      clearScreen: false,
      server: {
        port: 0,
        host: '127.0.0.1',
        strictPort: false,
        // Tests do not edit files while running: no file watcher (no inotify use, no HMR reloads).
        watch: null,
        // Without this Vite 8 still reloads open pages when a source file changes mid-run.
        hmr: false,
        ...(opts.serve ? { fs: { allow: [projectRoot, ...opts.serve] } } : {}),
      },
    });
    await server.listen();
    const address = server.httpServer?.address() as AddressInfo | null;
    if (!address || typeof address === 'string') throw new Error('Vite dev server has no TCP address');
    const baseUrl = `http://127.0.0.1:${address.port}`;

    const aliases = opts.hostAliases ?? [];
    browser = await launchChromium({
      args: aliases.length > 0 ? [`--host-resolver-rules=${aliases.map((host) => `MAP ${host} 127.0.0.1`).join(', ')}`] : [],
    });
    const context = await browser.newContext();
    const pageErrors: string[] = [];
    let tabCount = 0;

    const openTab = async (path?: string): Promise<Page> => {
      const tab = ++tabCount;
      const page = await context.newPage();
      page.on('pageerror', (error) => pageErrors.push(`[tab ${tab}] pageerror: ${error.stack ?? error.message}`));
      page.on('console', (message) => {
        if (message.type() === 'error') pageErrors.push(`[tab ${tab}] console.error: ${message.text()}`);
      });
      const target = path ?? defaultPath;
      await page.goto(/^https?:/.test(target) ? target : baseUrl + target);
      // A page that failed to start says so in __harnessError: fail at once rather than time out.
      await page.waitForFunction(
        () => {
          const w = window as { __harnessReady?: boolean; __harnessError?: string };
          return w.__harnessReady === true || w.__harnessError !== undefined;
        },
        undefined,
        { timeout: readyTimeout },
      );
      const failed = await page.evaluate(() => (window as { __harnessError?: string }).__harnessError);
      if (failed !== undefined) throw new Error(`tab ${tab} did not start: ${failed}`);
      return page;
    };

    return { baseUrl, browser, context, pageErrors, openTab, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * One session for a whole test file: started before its tests, closed after them. Returns a
 * getter, since the session exists only once `beforeAll` has run.
 */
export function useTabs(
  hooks: { beforeAll(fn: () => Promise<void>, timeout?: number): void; afterAll(fn: () => Promise<void>): void },
  opts?: StartTabsOptions,
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

/** A database name no other test uses. */
export function unique(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/**
 * Resolves once `check` (run in Node, typically a `page.evaluate` of an async page function)
 * returns true; throws after `timeout` ms naming `what`. Playwright's `page.waitForFunction` does
 * not await a predicate that returns a promise: the promise itself is truthy, so it returns at once.
 */
export async function until(check: () => Promise<boolean>, what: string, timeout = 20_000): Promise<void> {
  const end = Date.now() + timeout;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
