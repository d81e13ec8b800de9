/**
 * The back/forward cache: the leader's tab navigates away, so its page may be kept frozen in the
 * cache (with its workers) or unloaded, depending on the engine and on what the page holds, and
 * then comes back. Either way the other tabs keep writing while it is away, and once it is back
 * every tab writes again under one leader, with every acknowledged write in the file once.
 * Whether the page came back from the cache is printed, not asserted: the guarantees must not
 * depend on it.
 *
 * Seen here: Firefox 153 caches the harness page without a database, but not with one: a page
 * whose page or worker holds a Web Lock is evicted, which lets the locks go. The headless Chromium
 * of these tests has no back/forward cache at all (BackForwardCacheDisabledForDelegate).
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { useTabs } from '../support/tabs.ts';
import { uniqueName } from '../support/unique-name.ts';

const tabs = useTabs({ beforeAll, afterAll });

test('a leader tab that navigates away and back: the others write meanwhile, then all write under one leader', async () => {
  const name = uniqueName('bfcache');
  const a = await tabs().openTab();
  const aTab = await a.evaluate((n) => window.harness.open(n, 5_000), name);
  const b = await tabs().openTab();
  const bTab = await b.evaluate((n) => window.harness.open(n, 5_000), name);
  expect((await a.evaluate(() => window.db.status())).role).toBe('leader');
  await a.evaluate((t) => window.harness.write(t, 5, 1), aTab);

  await a.goto(`${tabs().baseUrl}/test/tabs/away.html`);
  // Each call waits at most its lockTimeout (5 s): a leader kept frozen with its locks would show here.
  const whileAway = await b.evaluate((t) => window.harness.write(t, 10, 2), bTab);
  expect(whileAway.filter((o) => !o.ok)).toEqual([]);

  await a.goBack();
  await a.waitForFunction(() => location.pathname.endsWith('/harness.html') && window.__harnessReady === true);
  const fromCache = await a.evaluate(() => window.harness.shownFromCache);
  console.log(`[${a.engine}] the leader's page came back ${fromCache ? 'from the back/forward cache' : 'reloaded'}`);
  // From the cache it still has its database handle; reloaded, it opens again.
  const aAgain = fromCache ? aTab : await a.evaluate((n) => window.harness.open(n, 5_000), name);
  const afterA = await a.evaluate((t) => window.harness.write(t, 10, 2), aAgain);
  const afterB = await b.evaluate((t) => window.harness.write(t, 10, 2), bTab);
  expect([...afterA, ...afterB].filter((o) => !o.ok)).toEqual([]);

  const statuses = await Promise.all([a, b].map((page) => page.evaluate(() => window.db.status())));
  expect(statuses.filter((s) => s.role === 'leader')).toHaveLength(1);
  expect(new Set(statuses.map((s) => s.leaderId)).size).toBe(1);
  const rows = await b.evaluate(() =>
    window.db.all<{ tab: string; seq: number; n: number }>('SELECT tab, seq, count(*) AS n FROM writes GROUP BY tab, seq'),
  );
  const file = new Map(rows.map((r) => [`${r.tab}/${r.seq}`, r.n]));
  const acknowledged = [
    ...afterA.filter((o) => o.ok).map((o) => `${aAgain}/${o.seq}`),
    ...afterB.filter((o) => o.ok).map((o) => `${bTab}/${o.seq}`),
  ];
  expect(acknowledged.filter((key) => file.get(key) !== 1)).toEqual([]);
  expect(rows.filter((r) => r.n !== 1)).toEqual([]);
  expect(tabs().pageErrors).toEqual([]);
});
