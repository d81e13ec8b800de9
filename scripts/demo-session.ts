/**
 * Tabs on the demo for long scripted runs (stress, screenshot): a Vite dev server from the
 * project's config and one headless Chromium context, like test/support/tabs.ts, but with HMR
 * off. With HMR on, Vite reloads every open page when a source file changes (even with the file
 * watcher off: seen with Vite 8), and a reloaded tab loses its writers' bookkeeping mid-run.
 */
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright';
import { createServer, type ViteDevServer } from 'vite';
import { launchChromium } from '../test/support/chromium.ts';
import type {} from '../demo/automation.ts';

export interface DemoSession {
  baseUrl: string;
  context: BrowserContext;
  /** Uncaught page errors and console errors of every tab, prefixed by the tab's number. */
  pageErrors: string[];
  /** Opens `path` (default: the session's path) in a new tab and waits for `window.__harnessReady`. */
  openTab(path?: string): Promise<Page>;
  close(): Promise<void>;
}

const projectRoot = fileURLToPath(new URL('..', import.meta.url));
const configFile = fileURLToPath(new URL('../vite.config.ts', import.meta.url));

export async function startDemo(defaultPath: string, readyTimeout = 60_000): Promise<DemoSession> {
  let server: ViteDevServer | undefined;
  let browser: Browser | undefined;
  const close = async () => {
    await browser?.close().catch(() => undefined);
    await server?.close().catch(() => undefined);
  };
  try {
    server = await createServer({
      configFile,
      root: projectRoot,
      logLevel: 'silent',
      clearScreen: false,
      server: { port: 0, host: '127.0.0.1', strictPort: false, watch: null, hmr: false },
    });
    await server.listen();
    const address = server.httpServer?.address() as AddressInfo | null;
    if (!address || typeof address === 'string') throw new Error('Vite dev server has no TCP address');
    const baseUrl = `http://127.0.0.1:${address.port}`;
    browser = await launchChromium();
    const context = await browser.newContext();
    const pageErrors: string[] = [];
    let count = 0;
    const openTab = async (path = defaultPath): Promise<Page> => {
      const tab = ++count;
      const page = await context.newPage();
      page.on('pageerror', (error) => pageErrors.push(`[tab ${tab}] pageerror: ${error.stack ?? error.message}`));
      page.on('console', (message) => {
        if (message.type() === 'error') pageErrors.push(`[tab ${tab}] console.error: ${message.text()}`);
      });
      await page.goto(baseUrl + path);
      await page.waitForFunction(
        () => window.__harnessReady === true || window.__harnessError !== undefined,
        undefined,
        { timeout: readyTimeout },
      );
      const failed = await page.evaluate(() => window.__harnessError);
      if (failed !== undefined) throw new Error(`tab ${tab} did not start: ${failed}`);
      return page;
    };
    return { baseUrl, context, pageErrors, openTab, close };
  } catch (error) {
    await close();
    throw error;
  }
}
