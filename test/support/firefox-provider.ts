/**
 * A Vitest browser-mode provider for Firefox over puppeteer-core (WebDriver BiDi), so that the
 * single-tab suite (the `browser-firefox` project) runs the same test files in Firefox.
 *
 * Why not a stock provider: Vitest's playwright provider cannot drive a stock Firefox (Playwright
 * needs its own patched build, which cannot be downloaded here), and the webdriverio provider
 * needs geckodriver, which neither Debian nor npm ships without a download. Vitest asks a
 * provider for little: open a page at a URL for a session, and close everything at the end; the
 * tests talk to Vitest over its own channel. Of `vitest/browser`'s commands only the viewport one
 * is served (the orchestrator sends it); `page`, `userEvent` and screenshots are not: the suite
 * uses none.
 *
 * Plain erasable TypeScript.
 */
import { defineBrowserProvider } from '@vitest/browser';
import type { BrowserProvider, BrowserProviderOption, TestProject } from 'vitest/node';
import { launchFirefoxBrowser } from './firefox-tab.ts';
import type { EngineBrowser, TabDriver } from './tab.ts';

class FirefoxProvider implements BrowserProvider {
  readonly name = 'puppeteer-firefox';
  readonly supportsParallelism = false;
  private browser: Promise<EngineBrowser> | undefined;
  private readonly pages = new Map<string, TabDriver>();

  constructor(project: TestProject) {
    // The one command Vitest's orchestrator sends every provider but 'preview': size the page.
    // (Vitest's types list only the commands users may declare, hence the cast.)
    const register = project.browser?.registerCommand.bind(project.browser) as
      | ((name: string, command: (context: { tab?: TabDriver }, size: { width: number; height: number }) => Promise<void>) => void)
      | undefined;
    register?.('__vitest_viewport', async (context, size) => {
      await context.tab?.setViewportSize(size);
    });
  }

  getCommandsContext(sessionId: string): Record<string, unknown> {
    return { tab: this.pages.get(sessionId) };
  }

  async openPage(sessionId: string, url: string): Promise<void> {
    this.browser ??= launchFirefoxBrowser({ profile: 'disk', hostAliases: [] });
    const browser = await this.browser;
    await this.pages.get(sessionId)?.close();
    // Errors reach Vitest through its own channel from the page; nothing to collect here.
    const page = await browser.newTab({ pageError: () => {}, console: () => {}, navigated: () => {} });
    this.pages.set(sessionId, page);
    await page.goto(url);
  }

  async close(): Promise<void> {
    const browser = this.browser;
    this.browser = undefined;
    this.pages.clear();
    await (await browser?.catch(() => undefined))?.close();
  }
}

/** The provider option for a Vitest `browser` project: `provider: firefox(), instances: [{ browser: 'firefox' }]`. */
export function firefox(): BrowserProviderOption {
  return defineBrowserProvider({
    name: 'puppeteer-firefox',
    supportedBrowser: ['firefox'],
    options: {},
    providerFactory: (project) => new FirefoxProvider(project),
  });
}
