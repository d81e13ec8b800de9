/**
 * Chromium for a browser session (Node side): launched through Playwright with one shared
 * context, and the tab driver over Playwright's Page. Chromium-only capabilities go through
 * DevTools: Page.crash, Page.setWebLifecycleState, Storage.overrideQuotaForOrigin.
 *
 * Plain erasable TypeScript (runs under Node 24's native type stripping as well as under Vitest).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, CDPSession, Page } from 'playwright';
import { findBrowserPid } from '../../bench/node/cpu.ts';
import { CHROMIUM_ARGS, launchChromium, resolveChromium } from './chromium.ts';
import type { DevToolsSession, EngineBrowser, LaunchSettings, PageFunction, PageListeners, TabDriver } from './tab.ts';

function pageDriver(context: BrowserContext, page: Page): TabDriver {
  let cdp: Promise<CDPSession> | undefined;
  const devtools = () => (cdp ??= context.newCDPSession(page));
  return {
    // Playwright's own types unbox handles, which this API never passes.
    evaluate: <R, A>(fn: PageFunction<A, R>, arg: A) => page.evaluate(fn as (arg: unknown) => R | Promise<R>, arg),
    goto: async (url) => {
      await page.goto(url);
    },
    reload: async () => {
      await page.reload();
    },
    close: () => page.close(),
    isClosed: () => page.isClosed(),
    url: () => page.url(),
    setViewportSize: (size) => page.setViewportSize(size),
    screenshot: async (options) => {
      await page.screenshot(options);
    },
    crash: async () => {
      const crashed = new Promise<void>((resolve) => page.once('crash', () => resolve()));
      // The renderer dies under the command, so its answer never comes: do not wait for it.
      void (await devtools()).send('Page.crash').catch(() => undefined);
      await crashed;
    },
    stallWorker: async (urlPart, ms) => {
      const worker = page.workers().find((w) => w.url().includes(urlPart));
      if (!worker) throw new Error(`no worker of this tab runs a script whose URL contains ${urlPart}`);
      await worker.evaluate((until) => {
        while (Date.now() < until);
      }, Date.now() + ms);
    },
    freeze: async () => {
      await (await devtools()).send('Page.setWebLifecycleState', { state: 'frozen' });
    },
    resume: async () => {
      await (await devtools()).send('Page.setWebLifecycleState', { state: 'active' });
    },
  };
}

function listen(page: Page, listeners: PageListeners): void {
  page.on('pageerror', (error) => listeners.pageError(error.stack ?? error.message));
  // Named as the console method, as puppeteer does: Playwright says 'warning' for console.warn.
  page.on('console', (message) => listeners.console(message.type() === 'warning' ? 'warn' : message.type(), message.text()));
  page.on('framenavigated', (frame) => {
    if (frame === page.mainFrame()) listeners.navigated(frame.url());
  });
}

/** Playwright's typed CDP session as the engine-neutral DevToolsSession (method names as plain strings). */
function rawDevTools(cdp: CDPSession): DevToolsSession {
  type Send = (method: string, params?: object) => Promise<unknown>;
  type On = (event: string, listener: (params: never) => void) => CDPSession;
  return {
    send: <T>(method: string, params?: object) => (cdp.send as Send).call(cdp, method, params) as Promise<T>,
    on: (event, listener) => void (cdp.on as On).call(cdp, event, listener),
    off: (event, listener) => void (cdp.off as On).call(cdp, event, listener),
    detach: () => cdp.detach(),
  };
}

/**
 * 'memory': an incognito context (Chromium keeps its OPFS in memory, so flushes cost nothing);
 * 'disk': a persistent context in a temporary profile folder, removed on close.
 */
export async function launchChromiumBrowser(settings: LaunchSettings): Promise<EngineBrowser> {
  const args =
    settings.hostAliases.length > 0 ? [`--host-resolver-rules=${settings.hostAliases.map((h) => `MAP ${h} 127.0.0.1`).join(',')}`] : [];
  let context: BrowserContext;
  // Only a launched (not persistent) browser has a browser-wide DevTools session.
  let launchedBrowser: Browser | undefined;
  let pid: number | undefined;
  let closeBrowser: () => Promise<void>;
  if (settings.profile === 'disk') {
    const { chromium } = await import('playwright');
    const userDataDir = mkdtempSync(join(tmpdir(), 'sqlite-baton-chromium-'));
    try {
      context = await chromium.launchPersistentContext(userDataDir, {
        headless: true,
        executablePath: await resolveChromium(),
        args: [...CHROMIUM_ARGS, ...args],
        ...(settings.env ? { env: { ...process.env, ...settings.env } } : {}),
      });
    } catch (error) {
      rmSync(userDataDir, { recursive: true, force: true });
      throw error;
    }
    pid = findBrowserPid(userDataDir);
    closeBrowser = async () => {
      await context.close().catch(() => {});
      rmSync(userDataDir, { recursive: true, force: true });
    };
  } else {
    const browser = await launchChromium({ args, ...(settings.env ? { env: { ...process.env, ...settings.env } } : {}) });
    closeBrowser = () => browser.close();
    launchedBrowser = browser;
    context = await browser.newContext();
  }
  const ctx = context;
  const wide = launchedBrowser;
  try {
    // A persistent context opens with one blank tab; it is not ours to keep. It tells the version first.
    const probe = ctx.pages()[0] ?? (await ctx.newPage());
    const userAgent = await probe.evaluate(() => navigator.userAgent);
    if (settings.quota) {
      // The override lasts as long as the DevTools session that set it: the probe tab stays open.
      const cdp = await ctx.newCDPSession(probe);
      await cdp.send('Storage.overrideQuotaForOrigin', { origin: settings.quota.origin, quotaSize: settings.quota.bytes });
    } else {
      await probe.close();
    }
    return {
      version: /(?:Headless)?Chrome\/[\d.]+/.exec(userAgent)?.[0] ?? userAgent,
      pid,
      newTab: async (listeners) => {
        const page = await ctx.newPage();
        listen(page, listeners);
        return pageDriver(ctx, page);
      },
      ...(wide ? { devtools: async () => rawDevTools(await wide.newBrowserCDPSession()) } : {}),
      close: closeBrowser,
    };
  } catch (error) {
    await closeBrowser();
    throw error;
  }
}
