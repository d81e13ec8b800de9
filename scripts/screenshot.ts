/**
 * Takes the README's screenshot of the demo: four tabs with writers running, one failover on
 * the chart, then a full-page capture of a follower tab to docs/demo.png.
 *
 *   node scripts/screenshot.ts [--out docs/demo.png] [--width 1280] [--seconds 24] [--mobile out.png] [--engine chromium|firefox]
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startBrowserSession } from '../test/support/browser-session.ts';
import { ENGINE_ENV } from '../test/support/engine.ts';
import { sleep } from '../test/support/sleep.ts';
import type { Tab as Page } from '../test/support/tab.ts';
import { uniqueName } from '../test/support/unique-name.ts';
import type {} from '../demo/automation.ts';

const { values } = parseArgs({
  options: {
    out: { type: 'string', default: 'docs/demo.png' },
    width: { type: 'string', default: '1280' },
    seconds: { type: 'string', default: '24' },
    mobile: { type: 'string' },
    engine: { type: 'string' },
  },
});
if (values.engine !== undefined) process.env[ENGINE_ENV] = values.engine;

async function leaderOf(tabs: Page[]): Promise<Page | undefined> {
  for (const page of tabs) {
    const status = await page.evaluate(() => window.__demo!.status()).catch(() => undefined);
    if (status?.role === 'leader') return page;
  }
  return undefined;
}

async function main(): Promise<void> {
  const seconds = Number(values.seconds);
  const db = uniqueName('screenshot');
  const session = await startBrowserSession({ path: `/?db=${db}`, readyTimeout: 60_000 });
  try {
    const config = { writers: 3, rate: 12, rows: 1, mode: 'run' as const };
    const tabs: Page[] = [];
    for (let i = 0; i < 4; i++) {
      const page = await session.openTab();
      await page.setViewportSize({ width: Number(values.width), height: 900 });
      await page.evaluate((c) => window.__demo!.start(c), config);
      tabs.push(page);
    }
    // One failover a third of the way in, so the chart and the event list show one.
    await sleep((seconds * 1000) / 3);
    const leader = await leaderOf(tabs);
    if (leader) {
      tabs.splice(tabs.indexOf(leader), 1);
      await leader.close();
      const replacement = await session.openTab();
      await replacement.setViewportSize({ width: Number(values.width), height: 900 });
      await replacement.evaluate((c) => window.__demo!.start(c), config);
      tabs.push(replacement);
    }
    await sleep((seconds * 2000) / 3);
    const shown = tabs[0]!;
    await shown.evaluate(() => (document.querySelector('#sql-form button[type=submit]') as HTMLButtonElement).click());
    await sleep(1_000);
    const out = resolve(values.out);
    mkdirSync(dirname(out), { recursive: true });
    await shown.screenshot({ path: out, fullPage: true });
    console.log(`wrote ${out}`);
    if (values.mobile) {
      await shown.setViewportSize({ width: 390, height: 844 });
      await sleep(1_200);
      await shown.screenshot({ path: resolve(values.mobile), fullPage: true });
      console.log(`wrote ${resolve(values.mobile)}`);
    }
    if (session.pageErrors.length > 0) console.log(`page errors:\n${session.pageErrors.join('\n')}`);
    for (const page of tabs) await page.evaluate(() => window.__demo!.stop(5_000)).catch(() => undefined);
  } finally {
    await session.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
