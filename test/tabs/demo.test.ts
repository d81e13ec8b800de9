/**
 * The demo pages in real tabs: two demo tabs write through the page's own workload and their live
 * figures move; the naive page is cross-origin isolated (and the demo is not) and runs its
 * comparison.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Tab as Page } from '../support/tab.ts';
import { startTabs, type TabsSession } from '../support/tabs.ts';
import { uniqueName } from '../support/unique-name.ts';
import type {} from '../../demo/automation.ts';
import type { Comparison } from '../../demo/naive/results.ts';

let tabs: TabsSession;
const db = uniqueName('demo-test');

beforeAll(async () => {
  tabs = await startTabs({ path: `/?db=${db}` });
});

afterAll(async () => {
  await tabs?.close();
});

function figures(page: Page) {
  return page.evaluate(() => window.__demo!.figures());
}

test('two demo tabs write: writes/s above zero, total rows growing, no errors, no page errors', async () => {
  const first = await tabs.openTab();
  const second = await tabs.openTab();
  for (const page of [first, second]) {
    await page.evaluate(() => window.__demo!.start({ writers: 2, rate: 10, rows: 1, mode: 'transaction' }));
  }

  // Each tab sees its own writes and, over the BroadcastChannel, the other tab's.
  for (const page of [first, second]) {
    await page.waitForFunction(
      () => {
        const f = window.__demo!.figures();
        return f.thisTab.rowsPerSecond > 0 && f.allTabs.tabs === 2 && f.allTabs.rowsPerSecond > f.thisTab.rowsPerSecond;
      },
      undefined,
      { timeout: 20_000 },
    );
  }
  const before = (await figures(first)).totalRows ?? 0;
  await first.waitForFunction((n) => (window.__demo!.figures().totalRows ?? 0) > n, before, { timeout: 20_000 });

  // What the page shows, not only what it computes (the cards are redrawn twice a second).
  await first.waitForFunction(
    () =>
      ['all-rows-s', 'this-rows-s', 'total-rows'].every((id) => Number(document.getElementById(id)?.textContent?.replace(/,/g, '')) > 0),
    undefined,
    { timeout: 5_000 },
  );
  const roles = [await first.textContent('#role'), await second.textContent('#role')].sort();
  expect(roles).toEqual(['follower', 'leader']);

  const stopped = await Promise.all([first, second].map((page) => page.evaluate(() => window.__demo!.stop(30_000))));
  expect(stopped.map((s) => s.settled)).toEqual([true, true]);
  for (const page of [first, second]) {
    const f = await figures(page);
    expect(f.thisTab.acknowledgedRows).toBeGreaterThan(0);
    expect(f.thisTab.errors).toEqual({});
    expect(f.allTabs.errors).toEqual({});
    expect(await page.textContent('#all-errors')).toBe('0');
  }
  const rows = await first.evaluate(() => window.__demo!.query('SELECT count(*) AS n FROM writes'));
  const acknowledged = (await figures(first)).thisTab.acknowledgedRows + (await figures(second)).thisTab.acknowledgedRows;
  expect(rows[0]?.n).toBe(acknowledged);

  // The live view (db.watch) of each tab shows both tabs' rows, as written, with no polling.
  const perTab: Array<[string, number]> = [];
  for (const page of [first, second])
    perTab.push([await page.evaluate(() => window.__demo!.tab), (await figures(page)).thisTab.acknowledgedRows]);
  perTab.sort(([a], [b]) => a.localeCompare(b));
  for (const page of [first, second]) {
    await page.waitForFunction(
      (expected) => {
        const shown = window.__demo!.liveView().tabs.map((t) => [t.tab, t.rows] as [string, number]);
        shown.sort(([a], [b]) => a.localeCompare(b));
        return JSON.stringify(shown) === JSON.stringify(expected) && document.querySelectorAll('#live-per-tab tr').length === 2;
      },
      perTab,
      { timeout: 10_000 },
    );
    expect(await page.count('#live-latest tr')).toBe(8);
  }
  expect(tabs.pageErrors).toEqual([]);
});

test('the naive page is cross-origin isolated, the demo is not, and the comparison runs both workloads', async () => {
  const demo = await tabs.openTab();
  expect(await demo.evaluate(() => crossOriginIsolated)).toBe(false);

  const naive = await tabs.openTab('/demo/naive/');
  expect(await naive.evaluate(() => crossOriginIsolated)).toBe(true);
  const comparison = (await naive.evaluate(() =>
    (window as unknown as { __naive: { run(c: object): Promise<unknown> } }).__naive.run({
      writers: 2,
      rate: 0,
      rows: 1,
      seconds: 2,
      busyTimeout: 10_000,
    }),
  )) as Comparison;
  expect(comparison.runs.map((run) => run.kind)).toEqual(['naive', 'baton-transaction', 'baton-run']);
  for (const run of comparison.runs) {
    expect(run.calls, run.label).toBeGreaterThan(0);
    // Every committed call's rows are in the file: the naive side may fail calls, never lose them.
    expect(run.rowsInFile, run.label).toBe(run.rows);
  }
  expect(comparison.runs[1]!.errors).toEqual({});
  expect(comparison.runs[2]!.errors).toEqual({});
  expect(await naive.count('#results tbody tr')).toBeGreaterThan(5);
  expect(tabs.pageErrors).toEqual([]);
}, 90_000);
