/**
 * One browser session for tests, benchmarks and scripts (Node side): a Vite dev server from the
 * project's vite.config.ts and one browser of the chosen engine with ONE shared profile, so that
 * every tab shares one origin's OPFS, Web Locks and BroadcastChannels, as real tabs of one profile
 * do. test/support/tabs.ts (the multi-tab tests), bench/node/session.ts and scripts/*.ts all
 * start their browser here.
 *
 * Plain erasable TypeScript (runs under Node 24's native type stripping as well as under Vitest).
 */
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer, type InlineConfig, type Plugin, type ViteDevServer } from 'vite';
import { launchChromiumBrowser } from './chromium-tab.ts';
import { engineFromEnv, missingCapability, type Engine } from './engine.ts';
import { launchFirefoxBrowser } from './firefox-tab.ts';
import { createTab, type ConsoleListener, type DevToolsSession, type EngineBrowser, type Tab } from './tab.ts';

/** The flags a page sets on `window` once it is ready, or once it failed to start. */
export interface ReadyFlags {
  ready: string;
  error: string;
}

export const HARNESS_FLAGS: ReadyFlags = { ready: '__harnessReady', error: '__harnessError' };

export interface ConsoleEntry {
  /** The tab's label and the path it was opened at. */
  tab: string;
  path: string;
  type: string;
  text: string;
}

export interface BrowserSessionOptions {
  /** Default: SQLITE_BATON_ENGINE, else Chromium. */
  engine?: Engine;
  /**
   * 'disk': a fresh profile in a temporary folder (real flushes). 'memory': Chromium's incognito
   * context, Firefox's private browsing, where OPFS is blocked (getDirectory() rejects with a
   * SecurityError). Default: 'memory' in Chromium, 'disk' in Firefox.
   */
  profile?: 'disk' | 'memory';
  /** Default page for openTab(); defaults to the multi-tab harness. */
  path?: string;
  /** The ready flags openTab() waits for. Default: the harness's. */
  flags?: ReadyFlags;
  /** Milliseconds openTab() waits for the ready flag. Default 30 s. */
  readyTimeout?: number;
  /** Host names resolved to 127.0.0.1, e.g. to reach the dev server from a non-secure origin. */
  hostAliases?: readonly string[];
  /** Caps the dev server origin's storage quota at about this many bytes (Firefox: 10 MB at least). */
  quotaBytes?: number;
  /** Added to the browser's environment (e.g. the bench's slow-flush LD_PRELOAD shim). */
  env?: Record<string, string>;
  /** Folders outside the project the dev server may serve (as `/@fs/<path>`), e.g. another build of the library. */
  serve?: readonly string[];
  /** Merged into the dev server's config (e.g. a cache folder of its own, more optimizeDeps). */
  vite?: InlineConfig;
  /**
   * The endpoint of a Firefox already running for many sessions (test/support/shared-firefox.setup.ts):
   * a Firefox session with the default settings ('disk' profile, no host aliases, quota or env)
   * opens its tabs there, in a user context of its own, instead of launching a browser.
   */
  sharedFirefox?: string;
  /** Sees every console message first; returning true keeps it out of `pageErrors`. */
  onConsole?: (entry: ConsoleEntry) => boolean;
}

export interface BrowserSession {
  engine: Engine;
  profile: 'disk' | 'memory';
  /** e.g. http://127.0.0.1:41234 (no trailing slash). */
  baseUrl: string;
  /** e.g. `HeadlessChrome/153.0.7390.0` or `Firefox/153.8.0`. */
  browserVersion: string;
  /** The browser's main process, where known (for CPU accounting). */
  browserPid: number | undefined;
  /** The origin's storage quota the session was started with (`quotaBytes`), if any. */
  quotaBytes: number | undefined;
  /**
   * Uncaught page errors, console errors, Vite reload notices and navigations nobody asked for,
   * of every tab, each prefixed by the tab's label and path.
   */
  pageErrors: string[];
  /** The unexpected navigations alone (a tab reloaded under a test loses its state). */
  navigations: string[];
  /**
   * Opens a new tab at `path` (relative to baseUrl, or an absolute URL; default options.path or
   * the harness) and waits until its ready flag is set.
   */
  openTab(path?: string, label?: string): Promise<Tab>;
  /**
   * A DevTools session over the whole browser, its workers included (capability `worker-memory`:
   * Chromium with the 'memory' profile); rejects with the reason elsewhere.
   */
  devtools(): Promise<DevToolsSession>;
  /** Closes browser and dev server. Safe to call more than once. Never rejects. */
  close(): Promise<void>;
}

export const HARNESS_PATH = '/test/tabs/harness.html';

const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
const configFile = join(projectRoot, 'vite.config.ts');

/** Vite's client says so before it reloads a page (lost connection, re-optimized dependencies). */
const VITE_RELOAD = /^\[vite\].*(lost|reload|optimiz)/i;

/**
 * Serves HTML pages without Vite's client script, whose WebSocket (kept open for HMR, which is
 * off here) would keep every page out of the back/forward cache: the library's pages must be
 * seen there as a production build serves them. A page that imports CSS still loads the client.
 */
function withoutViteClient(): Plugin {
  return {
    name: 'sqlite-baton:without-vite-client',
    transformIndexHtml: {
      order: 'post',
      handler: (html) => html.replace(/<script type="module" src="[^"]*\/@vite\/client"><\/script>\s*/, ''),
    },
  };
}

async function startDevServer(
  extra: InlineConfig | undefined,
  serve: readonly string[],
): Promise<{ server: ViteDevServer; baseUrl: string }> {
  const server = await createServer({
    ...extra,
    configFile,
    root: projectRoot,
    logLevel: 'silent',
    clearScreen: false,
    server: {
      port: 0,
      host: '127.0.0.1',
      strictPort: false,
      // Nothing may reload a page mid-run: no file watcher (no inotify use, no HMR reloads) and no
      // HMR (without it Vite 8 still reloads open pages when a source file changes).
      watch: null,
      hmr: false,
      ...(serve.length > 0 ? { fs: { allow: [projectRoot, ...serve] } } : {}),
    },
    plugins: [withoutViteClient(), ...(extra?.plugins ?? [])],
  });
  try {
    await server.listen();
    const address = server.httpServer?.address() as AddressInfo | null;
    if (!address || typeof address === 'string') throw new Error('Vite dev server has no TCP address');
    return { server, baseUrl: `http://127.0.0.1:${address.port}` };
  } catch (error) {
    await server.close().catch(() => {});
    throw error;
  }
}

export async function startBrowserSession(options: BrowserSessionOptions = {}): Promise<BrowserSession> {
  const engine = options.engine ?? engineFromEnv();
  const profile = options.profile ?? (engine === 'firefox' ? 'disk' : 'memory');
  const defaultPath = options.path ?? HARNESS_PATH;
  const flags = options.flags ?? HARNESS_FLAGS;
  const readyTimeout = options.readyTimeout ?? 30_000;

  let server: ViteDevServer | undefined;
  let browser: EngineBrowser | undefined;
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
    const dev = await startDevServer(options.vite, options.serve ?? []);
    server = dev.server;
    const baseUrl = dev.baseUrl;
    const settings = {
      profile,
      hostAliases: options.hostAliases ?? [],
      quota: options.quotaBytes === undefined ? undefined : { origin: baseUrl, bytes: options.quotaBytes },
      env: options.env,
    };
    const plain = profile === 'disk' && settings.hostAliases.length === 0 && !settings.quota && !settings.env;
    browser =
      engine === 'firefox'
        ? await launchFirefoxBrowser({ ...settings, shared: plain ? options.sharedFirefox : undefined })
        : await launchChromiumBrowser(settings);
    const launched = browser;

    const pageErrors: string[] = [];
    const navigations: string[] = [];
    let tabCount = 0;

    const openTab = async (path = defaultPath, label = `tab ${tabCount + 1}`): Promise<Tab> => {
      tabCount++;
      const where = `[${label} ${path}]`;
      // Navigations the tab asked for, not yet seen; none is expected before the first load ends.
      let expected = 0;
      let loaded = false;
      let crashed = false;
      const consoleListeners = new Set<ConsoleListener>();
      const driver = await launched.newTab({
        pageError: (text) => {
          if (!crashed) pageErrors.push(`${where} pageerror: ${text}`);
        },
        console: (type, text) => {
          for (const listener of consoleListeners) listener(type, text);
          if (crashed || options.onConsole?.({ tab: label, path, type, text })) return;
          if (type === 'error' || VITE_RELOAD.test(text)) pageErrors.push(`${where} console.${type}: ${text}`);
        },
        navigated: (url) => {
          if (!loaded || crashed) return;
          if (expected > 0) {
            expected--;
            return;
          }
          const line = `${where} navigated again to ${url}`;
          navigations.push(line);
          pageErrors.push(line);
        },
      });
      const tab = createTab(engine, label, driver, {
        navigating: () => {
          if (loaded) expected++;
        },
        crashed: () => {
          crashed = true;
        },
        listenConsole: (listener) => {
          consoleListeners.add(listener);
          return () => void consoleListeners.delete(listener);
        },
      });
      await tab.goto(/^https?:/.test(path) ? path : baseUrl + path);
      loaded = true;
      // A page that failed to start says so in its error flag: fail at once rather than time out.
      await tab.waitForFunction(
        ([ready, error]) => {
          const w = window as unknown as Record<string, unknown>;
          return w[ready] === true || w[error] !== undefined;
        },
        [flags.ready, flags.error] as const,
        { timeout: readyTimeout },
      );
      const failed = await tab.evaluate((error) => (window as unknown as Record<string, unknown>)[error], flags.error);
      if (failed !== undefined) throw new Error(`${where} did not start: ${String(failed)}`);
      return tab;
    };

    return {
      engine,
      profile,
      baseUrl,
      browserVersion: launched.version,
      browserPid: launched.pid,
      quotaBytes: options.quotaBytes,
      pageErrors,
      navigations,
      openTab,
      devtools: () => {
        const missing = missingCapability(engine, 'worker-memory');
        if (missing !== undefined) return Promise.reject(new Error(`no DevTools session in ${engine}: ${missing}`));
        if (!launched.devtools) return Promise.reject(new Error(`no browser-wide DevTools session for a '${profile}' ${engine} profile`));
        return launched.devtools();
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
