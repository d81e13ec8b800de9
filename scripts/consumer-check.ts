import type { Browser, BrowserContext, Page } from 'playwright';

/**
 * What every consumer app must do in a real browser, from its built output: open the database,
 * write, reload and read the write back, then a second tab opens the same database (one leader,
 * one follower) and both tabs write at once; both then read every row. The page reports through
 * `document.body.dataset.state` ('ready' | 'error', with the message as the page's text) and
 * exposes `window.consumer` ({ add, bodies, role }).
 */
interface ConsumerApi {
  add(body: string): Promise<void>;
  bodies(): Promise<string[]>;
  role(): Promise<'leader' | 'follower'>;
}
declare global {
  interface Window {
    consumer: ConsumerApi;
  }
}

const WRITES_PER_TAB = 20;

/** The uncaught errors and console errors of every page of `context`, as they come. */
export function watchProblems(context: BrowserContext): string[] {
  const problems: string[] = [];
  context.on('weberror', (error) => problems.push(`page error: ${error.error().message}`));
  context.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
  });
  return problems;
}

export async function checkConsumer(browser: Browser, url: string): Promise<void> {
  const context = await browser.newContext();
  const problems = watchProblems(context);
  try {
    const first = await openTab(await context.newPage(), url, problems);
    await first.evaluate(() => window.consumer.add('before reload'));
    await first.reload();
    await waitReady(first, problems);
    const kept = await first.evaluate(() => window.consumer.bodies());
    if (!kept.includes('before reload')) throw new Error(`the write before the reload was not read back: ${JSON.stringify(kept)}`);

    const second = await openTab(await context.newPage(), url, problems);
    const roles = [await first.evaluate(() => window.consumer.role()), await second.evaluate(() => window.consumer.role())].sort();
    if (roles.join() !== 'follower,leader') throw new Error(`expected one leader and one follower, got ${roles.join(', ')}`);

    const writeMany = (page: Page, tab: string) =>
      page.evaluate(({ tab, count }) => Promise.all(Array.from({ length: count }, (_, i) => window.consumer.add(`${tab}-${i}`))), {
        tab,
        count: WRITES_PER_TAB,
      });
    await Promise.all([writeMany(first, 'a'), writeMany(second, 'b')]);
    const expected = new Set([
      'before reload',
      ...['a', 'b'].flatMap((tab) => Array.from({ length: WRITES_PER_TAB }, (_, i) => `${tab}-${i}`)),
    ]);
    for (const page of [first, second]) {
      const bodies = await page.evaluate(() => window.consumer.bodies());
      if (bodies.length !== expected.size || !bodies.every((body) => expected.has(body))) {
        throw new Error(`a tab read ${bodies.length} rows, expected the ${expected.size} written by both tabs`);
      }
    }
  } catch (error) {
    const detail = problems.length > 0 ? `\n  ${problems.join('\n  ')}` : '';
    throw new Error(`${error instanceof Error ? error.message : String(error)}${detail}`, { cause: error });
  } finally {
    await context.close();
  }
}

async function openTab(page: Page, url: string, problems: string[]): Promise<Page> {
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`HTTP ${response.status()} ${response.url()}`);
  });
  await page.goto(url);
  await waitReady(page, problems);
  return page;
}

async function waitReady(page: Page, problems: string[]): Promise<void> {
  await page
    .waitForFunction(() => document.body?.dataset.state !== undefined, undefined, { timeout: 30_000 })
    .catch(() => {
      throw new Error(`the page reported no state within 30 s (problems so far: ${problems.length})`);
    });
  const state = await page.evaluate(() => document.body.dataset.state);
  if (state !== 'ready') throw new Error(`the page failed: ${await page.evaluate(() => document.body.innerText.trim())}`);
}
