/**
 * Firefox for a browser session (Node side): launched through puppeteer-core over WebDriver BiDi
 * (Playwright cannot drive a stock Firefox, and no geckodriver is needed), and the tab driver over
 * puppeteer's Page.
 *
 * Every tab is a window of its own: Firefox clamps the timers of a background tab to one a second,
 * and tabs of one window are background tabs but one. Chromium's headless pages are all in front,
 * and so are these.
 *
 * Crashing a tab: nothing in content or BiDi can, so the session runs Firefox with
 * `--remote-allow-system-access`, which lets one hidden tab load the privileged about:processes
 * page; its `ChromeUtils.requestProcInfo()` tells which content process renders which window, and
 * that process is killed (SIGKILL), as a crash would end it. Each tab gets its own content process
 * (dom.ipc.processCount), so a kill takes exactly one tab with it.
 *
 * Plain erasable TypeScript (runs under Node 24's native type stripping as well as under Vitest).
 */
import { existsSync } from 'node:fs';
import type { Browser, Page } from 'puppeteer-core';
import { findFirefox } from './engine.ts';
import { sleep } from './sleep.ts';
import type { EngineBrowser, LaunchSettings, PageFunction, PageListeners, TabDriver } from './tab.ts';

/** Content processes to allow: enough for one per tab of the busiest test or bench phase. */
const CONTENT_PROCESSES = 64;

interface ProcessWindow {
  pid: number;
  title: string;
  uri: string;
}

/** The hidden privileged window that lists content processes and their windows. */
interface ProcessInspector {
  list(): Promise<ProcessWindow[]>;
  /** Closes its window, if it was opened. */
  close(): Promise<void>;
}

function processInspector(browser: Browser): ProcessInspector {
  let inspector: Promise<Page> | undefined;
  const open = async (): Promise<Page> => {
    const page = await browser.newPage({ type: 'window' });
    // The page moves into the parent process, and BiDi never sees its load finish: do not wait for it.
    void page.goto('about:processes', { timeout: 0 }).catch(() => undefined);
    const deadline = Date.now() + 15_000;
    for (;;) {
      const ready = await page
        .evaluate(() => typeof (globalThis as { ChromeUtils?: { requestProcInfo?: unknown } }).ChromeUtils?.requestProcInfo === 'function')
        .catch(() => false);
      if (ready) return page;
      if (Date.now() > deadline) throw new Error('about:processes did not load (is Firefox running with --remote-allow-system-access?)');
      await sleep(100);
    }
  };
  return {
    list: async () => {
      const page = await (inspector ??= open());
      return page.evaluate(async () => {
        type Info = {
          children: Array<{ pid: number; windows: Array<{ documentTitle: string; documentURI: { spec: string } | null }> }>;
        };
        const chrome = (globalThis as unknown as { ChromeUtils: { requestProcInfo(): Promise<Info> } }).ChromeUtils;
        const info = await chrome.requestProcInfo();
        return info.children.flatMap((child) =>
          child.windows.map((w) => ({ pid: child.pid, title: w.documentTitle, uri: w.documentURI?.spec ?? '' })),
        );
      });
    },
    close: async () => {
      const opened = inspector;
      inspector = undefined;
      await (await opened?.catch(() => undefined))?.close().catch(() => undefined);
    },
  };
}

/** Marks a typed array sent from the page as `{ [TYPED]: constructor name, values }`. */
const TYPED = '__sqliteBatonTypedArray';

/**
 * `fn` wrapped so that its result leaves the page as a tree. puppeteer's BiDi deserializer loses
 * what WebDriver BiDi sends by reference or does not know: an object met a second time in one
 * result (the same row in two arrays) and typed arrays come back undefined, where Playwright
 * returns them. So shared objects are copied and typed arrays tagged in the page (`untag` undoes
 * the tags here): both engines hand a test the same values.
 */
function asTree(fn: PageFunction<unknown, unknown>): (arg: unknown) => Promise<unknown> {
  const body = `return (async () => {
    const value = await (${String(fn)})(arg);
    const onPath = new Set();
    const copy = (v) => {
      if (v === null || typeof v !== 'object') return v;
      if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return { ${TYPED}: v.constructor.name, values: Array.from(v) };
      const proto = Object.getPrototypeOf(v);
      const plain = Array.isArray(v) || v instanceof Map || v instanceof Set || proto === Object.prototype || proto === null;
      if (!plain) return v;
      if (onPath.has(v)) throw new TypeError('a page function returned a cyclic value');
      onPath.add(v);
      try {
        if (Array.isArray(v)) return v.map(copy);
        if (v instanceof Map) return new Map([...v].map(([k, x]) => [copy(k), copy(x)]));
        if (v instanceof Set) return new Set([...v].map(copy));
        const out = {};
        for (const key of Object.keys(v)) out[key] = copy(v[key]);
        return out;
      } finally {
        onPath.delete(v);
      }
    };
    return copy(value);
  })();`;
  // Built in Node, sent as source text like any page function.
  return new Function('arg', body) as (arg: unknown) => Promise<unknown>;
}

type TypedArrayConstructor = new (values: ArrayLike<number> & ArrayLike<bigint>) => unknown;

function untag(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(untag);
  if (value instanceof Map) return new Map([...value].map(([k, v]) => [untag(k), untag(v)]));
  if (value instanceof Set) return new Set([...value].map(untag));
  if (Object.getPrototypeOf(value) !== Object.prototype) return value;
  const record = value as Record<string, unknown>;
  const typed = record[TYPED];
  if (typeof typed === 'string' && Array.isArray(record.values)) {
    const Typed = (globalThis as unknown as Record<string, TypedArrayConstructor | undefined>)[typed];
    if (Typed) return new Typed(record.values as never);
  }
  return Object.fromEntries(Object.entries(record).map(([key, v]) => [key, untag(v)]));
}

function pageDriver(page: Page, processes: ProcessInspector): TabDriver {
  return {
    evaluate: async <R, A>(fn: PageFunction<A, R>, arg: A) =>
      untag(await page.evaluate(asTree(fn as PageFunction<unknown, unknown>), arg as unknown)) as R,
    goto: async (url) => {
      // Longer than puppeteer's 30 s: a first load may wait for Vite to optimize dependencies.
      await page.goto(url, { timeout: 60_000 });
    },
    reload: async () => {
      await page.reload();
    },
    close: () => page.close(),
    isClosed: () => page.isClosed(),
    url: () => page.url(),
    setViewportSize: (size) => page.setViewport(size),
    screenshot: async (options) => {
      await page.screenshot({ path: options.path as `${string}.png`, fullPage: options.fullPage });
    },
    crash: async () => {
      // The title marks this tab's window among all others of the same page.
      const marker = `crash-me-${Math.random().toString(36).slice(2)}`;
      await page.evaluate((m) => void (document.title = m), marker);
      const windows = await processes.list();
      const pid = windows.find((w) => w.title === marker)?.pid;
      if (pid === undefined) throw new Error('no content process renders this tab');
      const others = windows.filter((w) => w.pid === pid && w.title !== marker && /^https?:/.test(w.uri));
      if (others.length > 0)
        throw new Error(`this tab shares its content process with ${others.length} other page(s): not killing them too`);
      process.kill(pid, 'SIGKILL');
      for (let waited = 0; existsSync(`/proc/${pid}`) && waited < 5_000; waited += 20) await sleep(20);
    },
  };
}

function listen(page: Page, listeners: PageListeners): void {
  page.on('pageerror', (error) => listeners.pageError(error instanceof Error ? (error.stack ?? error.message) : String(error)));
  page.on('console', (message) => listeners.console(message.type(), message.text()));
  page.on('framenavigated', (frame) => {
    if (frame === page.mainFrame()) listeners.navigated(frame.url());
  });
}

/** Content processes, tabs and memory: the same for every Firefox of the tests. */
const BASE_PREFS: Record<string, unknown> = {
  'dom.ipc.processCount': CONTENT_PROCESSES,
  'dom.ipc.processCount.webIsolated': CONTENT_PROCESSES,
  // Never unload a tab to save memory: a test's tab must live until the test closes it.
  'browser.tabs.unloadOnLowMemory': false,
};

async function launch(prefs: Record<string, unknown>, env?: Record<string, string>): Promise<Browser> {
  const found = findFirefox();
  if (!('path' in found)) throw new Error(found.reason);
  const { default: puppeteer } = await import('puppeteer-core');
  return puppeteer.launch({
    browser: 'firefox',
    executablePath: found.path,
    headless: true,
    args: ['--remote-allow-system-access'],
    extraPrefsFirefox: prefs,
    ...(env ? { env: { ...process.env, ...env } } : {}),
  });
}

async function versionOf(browser: Browser): Promise<string> {
  const [name = 'firefox', version = ''] = (await browser.version()).split('/');
  return `${name.charAt(0).toUpperCase()}${name.slice(1)}/${version}`;
}

/**
 * 'disk': puppeteer's own temporary profile (removed on close); 'memory': the same with private
 * browsing always on, Firefox's in-memory storage, where OPFS is blocked (checked with 153 ESR).
 * With `settings.shared`, a session of the Firefox already running there instead
 * (`connectSharedFirefox`).
 */
export async function launchFirefoxBrowser(settings: LaunchSettings): Promise<EngineBrowser> {
  if (settings.shared !== undefined) return connectSharedFirefox(settings.shared);
  const prefs: Record<string, unknown> = { ...BASE_PREFS };
  if (settings.hostAliases.length > 0) prefs['network.dns.localDomains'] = settings.hostAliases.join(',');
  if (settings.profile === 'memory') prefs['browser.privatebrowsing.autostart'] = true;
  if (settings.quota) {
    // Firefox sets quotas at start-up only, and per site (all ports of 127.0.0.1 together): a
    // group gets a fifth of the global limit, and never less than 10 MB.
    prefs['dom.quotaManager.temporaryStorage.fixedLimit'] = Math.ceil((5 * settings.quota.bytes) / 1024);
  }
  const browser = await launch(prefs, settings.env);
  try {
    const processes = processInspector(browser);
    // The blank window opened at launch stays: Firefox quits when its last window closes.
    return {
      version: await versionOf(browser),
      pid: browser.process()?.pid,
      newTab: async (listeners) => {
        const page = await browser.newPage({ type: 'window' });
        listen(page, listeners);
        return pageDriver(page, processes);
      },
      close: () => browser.close(),
    };
  } catch (error) {
    await browser.close().catch(() => undefined);
    throw error;
  }
}

/** One Firefox for many sessions, one after another (test/support/shared-firefox.setup.ts). */
export interface SharedFirefox {
  /** Its WebDriver BiDi endpoint, for `LaunchSettings.shared`. */
  endpoint: string;
  close(): Promise<void>;
}

/**
 * Launches a Firefox (disk profile, the same prefs as any session's) that sessions connect to
 * instead of launching their own: starting Firefox costs seconds, each test file of the
 * multi-tab suite paid them. Firefox takes one WebDriver BiDi session at a time, so this
 * launcher leaves its own at once; each connected session then holds one while it lives.
 */
export async function launchSharedFirefox(): Promise<SharedFirefox> {
  const browser = await launch(BASE_PREFS);
  const endpoint = browser.wsEndpoint();
  await browser.disconnect();
  return {
    endpoint,
    close: async () => {
      // The launching process keeps the browser's process, and removes its profile once it quits.
      const { default: puppeteer } = await import('puppeteer-core');
      const again = await puppeteer.connect({ browserWSEndpoint: endpoint, protocol: 'webDriverBiDi' }).catch(() => undefined);
      await again?.close().catch(() => undefined);
    },
  };
}

/**
 * A session of the shared Firefox: its tabs are windows of a user context of their own (a fresh
 * origin's storage, Web Locks and channels, as a fresh profile would have), all closed with the
 * session; the browser stays for the next one.
 */
async function connectSharedFirefox(endpoint: string): Promise<EngineBrowser> {
  const { default: puppeteer } = await import('puppeteer-core');
  const browser = await puppeteer.connect({ browserWSEndpoint: endpoint, protocol: 'webDriverBiDi' });
  const processes = processInspector(browser);
  try {
    const context = await browser.createBrowserContext();
    return {
      version: await versionOf(browser),
      pid: undefined,
      newTab: async (listeners) => {
        const page = await context.newPage({ type: 'window' });
        listen(page, listeners);
        return pageDriver(page, processes);
      },
      close: async () => {
        await context.close().catch(() => undefined);
        await processes.close();
        await browser.disconnect();
      },
    };
  } catch (error) {
    await browser.disconnect().catch(() => undefined);
    throw error;
  }
}
