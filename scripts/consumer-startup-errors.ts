import type { Browser } from 'playwright';

/**
 * The built package opened where its worker cannot start (test/consumers/startup-errors): each
 * case must reject with OPEN_FAILED naming the file that is missing, the worker script or the
 * sqlite3.wasm next to it, and leave no uncaught error behind.
 */
interface Outcome {
  code: string;
  message?: string;
}
declare global {
  interface Window {
    outcomes: Record<string, Outcome>;
  }
}

export async function checkStartupErrors(browser: Browser, url: string): Promise<void> {
  const context = await browser.newContext();
  const uncaught: string[] = [];
  context.on('weberror', (error) => uncaught.push(error.error().message));
  try {
    const page = await context.newPage();
    await page.goto(url);
    await page.waitForFunction(() => document.body?.dataset.state === 'ready', undefined, { timeout: 60_000 });
    const outcomes = await page.evaluate(() => window.outcomes);
    const expected: Record<string, RegExp> = {
      'missing worker': new RegExp(`failed to start from ${escape(new URL('missing/worker.js', url).href)}: `),
      'worker without its sqlite3.wasm': new RegExp(
        `could not load its sqlite3\\.wasm from ${escape(new URL('no-wasm/sqlite3.wasm', url).href)} \\(HTTP 404\\)`,
      ),
    };
    for (const [name, pattern] of Object.entries(expected)) {
      const outcome = outcomes[name];
      if (outcome?.code !== 'OPEN_FAILED' || !pattern.test(outcome.message ?? '')) {
        throw new Error(`${name}: expected OPEN_FAILED matching ${pattern}, got ${JSON.stringify(outcome)}`);
      }
    }
    if (uncaught.length > 0) throw new Error(`uncaught errors: ${uncaught.join('; ')}`);
  } finally {
    await context.close();
  }
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
