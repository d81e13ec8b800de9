/**
 * Many tabs, one writer: several real pages of one browser context open the same database and
 * all read and write it through the leader.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Tab as Page } from '../support/tab.ts';
import { useTabs } from '../support/tabs.ts';
import { uniqueName } from '../support/unique-name.ts';

const tabs = useTabs({ beforeAll, afterAll });

async function openTabs(name: string, count: number): Promise<Array<{ page: Page; tab: string }>> {
  const opened: Array<{ page: Page; tab: string }> = [];
  for (let i = 0; i < count; i++) {
    const page = await tabs().openTab();
    const tab = await page.evaluate((n) => window.harness.open(n), name);
    opened.push({ page, tab });
  }
  return opened;
}

test('four tabs writing at once: no errors, every acknowledged row present exactly once', async () => {
  const name = uniqueName('four');
  const opened = await openTabs(name, 4);
  const results = await Promise.all(opened.map(({ page, tab }) => page.evaluate((t) => window.harness.write(t, 60, 4), tab)));
  const failures = results.flat().filter((o) => !o.ok);
  expect(failures).toEqual([]);
  const rows = await opened[0]!.page.evaluate(() =>
    window.db.all<{ tab: string; seq: number; n: number }>('SELECT tab, seq, count(*) AS n FROM writes GROUP BY tab, seq'),
  );
  expect(rows.length).toBe(4 * 60);
  expect(rows.filter((r) => r.n !== 1)).toEqual([]);
  for (const { page } of opened) await page.close();
});

test('every tab agrees on one leader', async () => {
  const name = uniqueName('agree');
  const opened = await openTabs(name, 3);
  const statuses = await Promise.all(opened.map(({ page }) => page.evaluate(() => window.db.status())));
  expect(statuses.filter((s) => s.role === 'leader')).toHaveLength(1);
  const leader = statuses.find((s) => s.role === 'leader')!;
  expect(new Set(statuses.map((s) => s.leaderId))).toEqual(new Set([leader.tabId]));
  expect(new Set(statuses.map((s) => s.epoch)).size).toBe(1);
  expect(new Set(statuses.map((s) => s.tabId)).size).toBe(3);
  for (const { page } of opened) await page.close();
});
