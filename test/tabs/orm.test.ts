/**
 * The ORMs across real tabs: Drizzle and Kysely writing from two tabs at once (transactions and
 * rolled-back savepoints included), both migrators started by two tabs at once, and an ORM
 * transaction in a follower cut by the leader's death.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Tab as Page } from '../support/tab.ts';
import { until, useTabs } from '../support/tabs.ts';
import { uniqueName } from '../support/unique-name.ts';

const tabs = useTabs({ beforeAll, afterAll }, { path: '/test/tabs/orm-harness.html' });

async function openTab(name: string): Promise<{ page: Page; tab: string }> {
  const page = await tabs().openTab();
  const tab = await page.evaluate((n) => window.ormHarness.open(n), name);
  return { page, tab };
}

/** The person rows a writer of `tab` should have left: every name it wrote, none of the rolled-back ones. */
function written(tab: string, orm: 'drizzle' | 'kysely', count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${tab}:${orm}:${i}`);
}

test('two tabs writing through Drizzle and Kysely at once: no errors, every row once, savepoints undone', async () => {
  const name = uniqueName('orm-write');
  const a = await openTab(name);
  const b = await openTab(name);
  expect(await a.page.evaluate(() => window.ormHarness.migrateBoth())).toEqual([]);
  const failures = await Promise.all([
    a.page.evaluate((t) => window.ormHarness.writeDrizzle(t, 40), a.tab),
    b.page.evaluate((t) => window.ormHarness.writeDrizzle(t, 40), b.tab),
    b.page.evaluate((t) => window.ormHarness.writeKysely(t, 40), b.tab),
  ]);
  expect(failures.flat()).toEqual([]);
  const names = await b.page.evaluate(() => window.ormHarness.names());
  const expected = [...written(a.tab, 'drizzle', 40), ...written(b.tab, 'drizzle', 40), ...written(b.tab, 'kysely', 40)];
  expect([...names].sort()).toEqual(expected.sort());
  for (const { page } of [a, b]) await page.close();
});

test('both migrators started by two tabs at once apply each migration once', async () => {
  const name = uniqueName('orm-migrate');
  const holder = await openTab(name);
  const a = await openTab(name);
  const b = await openTab(name);
  // A third tab holds the writer while both start, so that both have looked for pending
  // migrations before either could apply one, whatever the timing.
  await holder.page.evaluate(() => window.ormHarness.holdWriter());
  for (const { page } of [a, b]) await page.evaluate(() => window.ormHarness.startMigrating());
  await until(async () => (await holder.page.evaluate(() => window.ormHarness.status())).queueDepth >= 2, 'requests queued at the leader');
  await holder.page.evaluate(() => window.ormHarness.releaseWriter());
  const failures = await Promise.all([a, b].map(({ page }) => page.evaluate(() => window.ormHarness.migrating!)));
  expect(failures.flat()).toEqual([]);
  const counts = await a.page.evaluate(() =>
    window.ormHarness.all(
      'SELECT (SELECT count(*) FROM __drizzle_migrations) AS drizzle, (SELECT count(*) FROM kysely_migration) AS kysely',
    ),
  );
  expect(counts).toEqual([{ drizzle: 2, kysely: 1 }]);
  for (const { page } of [holder, a, b]) await page.close();
});

for (const orm of ['drizzle', 'kysely'] as const) {
  test(`a ${orm} transaction in a follower cut by the leader's death rejects TRANSACTION_ABORTED and applied nothing`, async () => {
    const name = uniqueName(`orm-cut-${orm}`);
    const leader = await openTab(name);
    const follower = await openTab(name);
    expect(await leader.page.evaluate(() => window.ormHarness.migrateBoth())).toEqual([]);
    expect((await follower.page.evaluate(() => window.ormHarness.status())).role).toBe('follower');
    await follower.page.evaluate(([o, t]) => window.ormHarness.holdTransaction(o, t), [orm, follower.tab] as const);
    await leader.page.close();
    await follower.page.evaluate(() => window.ormHarness.release!());
    await follower.page.waitForFunction(() => window.ormHarness.txOutcome !== undefined);
    expect(await follower.page.evaluate(() => window.ormHarness.txOutcome)).toBe('TRANSACTION_ABORTED');
    expect(await follower.page.evaluate(() => window.ormHarness.names())).toEqual([]);
    expect((await follower.page.evaluate(() => window.ormHarness.status())).role).toBe('leader');
    await follower.page.close();
  });
}
