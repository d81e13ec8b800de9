/**
 * One browser tab as tests, benchmarks and scripts drive it, whatever the engine: Chromium through
 * Playwright (test/support/chromium-tab.ts), Firefox through puppeteer-core over WebDriver BiDi
 * (test/support/firefox-tab.ts). An engine's driver supplies the few calls that differ
 * (`TabDriver`); everything built on `evaluate` (waiting for a condition, reading the DOM) is
 * written once here, so both engines wait and read the same way.
 *
 * What only one engine can do is a capability (`crash`, `freeze`, `worker-memory`), listed in
 * test/support/engine.ts with the reason where an engine lacks it.
 *
 * Plain erasable TypeScript (runs under Node 24's native type stripping as well as under Vitest).
 */
import type { Engine } from './engine.ts';
import { sleep } from './sleep.ts';

/** A function run in the page. It is sent as source text: it may use only its argument and page globals. */
export type PageFunction<A, R> = (arg: A) => R | PromiseLike<R>;

export interface WaitOptions {
  /** Milliseconds before the wait fails. Default 30 s. */
  timeout?: number;
}

/** A raw DevTools (CDP) session over the whole browser: Chromium only. */
export interface DevToolsSession {
  send<T = unknown>(method: string, params?: object): Promise<T>;
  on(event: string, listener: (params: never) => void): void;
  off(event: string, listener: (params: never) => void): void;
  detach(): Promise<void>;
}

/** What an engine's driver must supply; `createTab` builds a `Tab` on it. */
export interface TabDriver {
  evaluate<R, A>(fn: PageFunction<A, R>, arg: A): Promise<R>;
  /** Loads `url` in this tab. */
  goto(url: string): Promise<void>;
  reload(): Promise<void>;
  close(): Promise<void>;
  isClosed(): boolean;
  url(): string;
  setViewportSize(size: { width: number; height: number }): Promise<void>;
  screenshot(options: { path: string; fullPage?: boolean }): Promise<void>;
  /** Ends the process that renders this tab (and runs its workers), as a crash would. */
  crash?(): Promise<void>;
  /** Blocks the thread of this tab's worker whose URL contains `urlPart` for `ms` (see Tab.stallWorker). */
  stallWorker?(urlPart: string, ms: number): Promise<void>;
  /** Page Lifecycle freeze and resume. */
  freeze?(): Promise<void>;
  resume?(): Promise<void>;
}

/** What a driver reports of its page as it happens. */
export interface PageListeners {
  pageError(text: string): void;
  console(type: string, text: string): void;
  /** The main frame navigated (any cause; the session tells expected from unexpected ones). */
  navigated(url: string): void;
}

/** One launched browser of an engine, with its one shared context (one profile: one origin's OPFS and locks). */
export interface EngineBrowser {
  /** e.g. `HeadlessChrome/153.0.7390.0` or `Firefox/153.0`. */
  version: string;
  /** The browser's main process, for CPU accounting; undefined where it cannot be known. */
  pid: number | undefined;
  newTab(listeners: PageListeners): Promise<TabDriver>;
  /** A DevTools session over the whole browser (its worker targets too), where the engine has one. */
  devtools?(): Promise<DevToolsSession>;
  close(): Promise<void>;
}

/** How to launch an engine's browser for a session. */
export interface LaunchSettings {
  /** 'disk': a profile in a temporary folder; 'memory': storage kept in memory where the engine can. */
  profile: 'disk' | 'memory';
  /** Host names that resolve to 127.0.0.1 (e.g. a non-secure origin served by the local dev server). */
  hostAliases: readonly string[];
  /** Caps the storage quota of `origin` at about `bytes`, for the whole session. */
  quota?: { origin: string; bytes: number };
  /** Added to the browser's environment. */
  env?: Record<string, string>;
  /**
   * Firefox: the endpoint of a shared Firefox to connect to instead of launching one (then the
   * other settings must be the shared one's: 'disk', no aliases, quota or env).
   */
  shared?: string;
}

/** What the session learns from a tab about navigations it asked for. */
export interface TabHooks {
  /** Called before a navigation the caller asked for (goto, reload). */
  navigating(): void;
  /** Called once the tab was crashed on purpose: what its page does afterwards is not an error. */
  crashed(): void;
  /** Adds a listener of this tab's console messages; returns its removal. */
  listenConsole(listener: ConsoleListener): () => void;
}

/** A console message of a tab's page or of a worker it started: `type` as the console method ('log', 'error', ...). */
export type ConsoleListener = (type: string, text: string) => void;

export interface Tab {
  readonly engine: Engine;
  /** This tab's label in page errors: `tab 3` unless the caller named it. */
  readonly label: string;
  evaluate<R>(fn: PageFunction<void, R>): Promise<R>;
  evaluate<R, A>(fn: PageFunction<A, R>, arg: A): Promise<R>;
  /**
   * Runs `fn` in the page every 50 ms until it returns (or resolves to) a truthy value; across
   * navigations too (a failed run is tried again until the timeout, then its error is thrown).
   */
  waitForFunction(fn: PageFunction<void, unknown>, arg?: undefined, options?: WaitOptions): Promise<void>;
  waitForFunction<A>(fn: PageFunction<A, unknown>, arg: A, options?: WaitOptions): Promise<void>;
  /** `textContent` of the first element matching `selector`, or null. */
  textContent(selector: string): Promise<string | null>;
  /** How many elements match `selector`. */
  count(selector: string): Promise<number>;
  /** Loads `url` (absolute) in this tab; not counted as an unexpected navigation. */
  goto(url: string): Promise<void>;
  /** Reloads the tab; not counted as an unexpected navigation. Does not wait for the page's ready flag. */
  reload(): Promise<void>;
  /**
   * Back one entry in the tab's history (a page may come back from the back/forward cache); not
   * unexpected either. Does not wait for the page: wait for what the test needs.
   */
  goBack(): Promise<void>;
  close(): Promise<void>;
  isClosed(): boolean;
  url(): string;
  setViewportSize(size: { width: number; height: number }): Promise<void>;
  screenshot(options: { path: string; fullPage?: boolean }): Promise<void>;
  /** Kills the tab's renderer (content) process: no unload, no goodbye, as a crash. See engine.ts for support. */
  crash(): Promise<void>;
  /**
   * Calls `listener` for each console message of this tab's page and of the workers it started
   * (both drivers report workers' messages: checked in test/tabs/console.test.ts); returns a
   * function that stops it.
   */
  onConsole(listener: ConsoleListener): () => void;
  /**
   * Blocks the thread of this tab's dedicated worker whose script URL contains `urlPart` for `ms`,
   * as a starved or stuck worker is: nothing runs there meanwhile (no timers, no messages).
   * Resolves when the stall ends. See engine.ts for support.
   */
  stallWorker(urlPart: string, ms: number): Promise<void>;
  /** Freezes the page (Page Lifecycle) until `resume()`. See engine.ts for support. */
  freeze(): Promise<void>;
  resume(): Promise<void>;
}

const POLL_MS = 50;

function missing(engine: Engine, what: string): Promise<never> {
  return Promise.reject(new Error(`${what} is not available in ${engine} (see test/support/engine.ts)`));
}

/** Rejects with a clear error when `promise` has not settled within `ms`. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(what)), Math.max(0, ms));
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

export function createTab(engine: Engine, label: string, driver: TabDriver, hooks: TabHooks): Tab {
  const evaluate = <R, A>(fn: PageFunction<A, R>, arg?: A): Promise<R> => driver.evaluate(fn, arg as A);

  const tab: Tab = {
    engine,
    label,
    evaluate,
    // Polled from Node rather than with an in-page requestAnimationFrame loop: the same on every
    // engine, and a hidden or throttled tab cannot stall it.
    async waitForFunction<A>(fn: PageFunction<A, unknown>, arg?: A, options: WaitOptions = {}): Promise<void> {
      const timeout = options.timeout ?? 30_000;
      const deadline = Date.now() + timeout;
      const failure = () => `waitForFunction: not true within ${timeout} ms in ${label}: ${String(fn).slice(0, 160)}`;
      // A call that fails (the page navigated under it: "execution context was destroyed") is
      // tried again until the deadline, then its error is the one reported.
      let lastError: unknown;
      for (;;) {
        try {
          if (await within(evaluate(fn, arg as A), deadline - Date.now(), failure())) return;
          lastError = undefined;
        } catch (error) {
          lastError = error;
        }
        if (Date.now() >= deadline) throw lastError ?? new Error(failure());
        await sleep(Math.min(POLL_MS, deadline - Date.now()));
      }
    },
    textContent: (selector) => evaluate((s) => document.querySelector(s)?.textContent ?? null, selector),
    count: (selector) => evaluate((s) => document.querySelectorAll(s).length, selector),
    goto: (url) => {
      hooks.navigating();
      return driver.goto(url);
    },
    reload: () => {
      hooks.navigating();
      return driver.reload();
    },
    // From the page itself, without waiting: a page restored from the back/forward cache fires no
    // load event, which a driver's goBack would wait for (puppeteer's does, forever).
    goBack: () => {
      hooks.navigating();
      return evaluate(() => void setTimeout(() => history.back(), 0));
    },
    close: () => driver.close(),
    isClosed: () => driver.isClosed(),
    url: () => driver.url(),
    setViewportSize: (size) => driver.setViewportSize(size),
    screenshot: (options) => driver.screenshot(options),
    stallWorker: (urlPart, ms) => (driver.stallWorker ? driver.stallWorker(urlPart, ms) : missing(engine, "stalling a tab's worker")),
    crash: () => {
      if (!driver.crash) return missing(engine, 'crashing a tab');
      hooks.crashed();
      return driver.crash();
    },
    onConsole: (listener) => hooks.listenConsole(listener),
    freeze: () => (driver.freeze ? driver.freeze() : missing(engine, 'freezing a tab')),
    resume: () => (driver.resume ? driver.resume() : missing(engine, 'resuming a frozen tab')),
  };
  return tab;
}
