/**
 * Interactive transactions across tabs: one tab's transaction holds the writer for every tab;
 * others wait (never fail) and never see its uncommitted rows; a tab that dies inside its
 * transaction has it rolled back, and the queue moves on.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Tab as Page } from '../support/tab.ts';
import { until, useTabs } from '../support/tabs.ts';
import { uniqueName } from '../support/unique-name.ts';

const tabs = useTabs({ beforeAll, afterAll });

async function openTab(name: string, lockTimeout?: number): Promise<{ page: Page; tab: string }> {
  const page = await tabs().openTab();
  const tab = await page.evaluate(([n, t]) => window.harness.open(n as string, t as number | undefined), [name, lockTimeout] as const);
  return { page, tab };
}

type Pending = { state: string; value?: unknown };

/** Starts `sql` in `page` without awaiting it; its outcome is readable with `outcome`. */
async function start(page: Page, sql: string, params: unknown[], op: 'run' | 'all' = 'run'): Promise<void> {
  await page.evaluate(
    ([s, p, o]) => {
      const pending: Pending = { state: 'pending' };
      (window as unknown as { pending: Pending }).pending = pending;
      const call = o === 'run' ? window.db.run(s as string, p as []) : window.db.all(s as string, p as []);
      call.then(
        (value) => Object.assign(pending, { state: 'resolved', value }),
        (e: { code?: string }) => Object.assign(pending, { state: 'rejected', value: e.code }),
      );
    },
    [sql, params, op] as const,
  );
}

function outcome(page: Page): Promise<Pending> {
  return page.evaluate(() => ({ ...(window as unknown as { pending: Pending }).pending }));
}

test("a transaction in one tab makes another tab's write and read wait, then both succeed", async () => {
  const name = uniqueName('block');
  const a = await openTab(name);
  const b = await openTab(name);
  await a.page.evaluate((t) => window.harness.openTransaction(t), a.tab);
  await start(b.page, 'INSERT INTO writes (tab, seq) VALUES (?, 1)', [b.tab]);
  await until(async () => (await a.page.evaluate(() => window.db.status())).queueDepth === 1, 'requests queued at the leader');
  expect((await outcome(b.page)).state).toBe('pending');

  await a.page.evaluate(() => window.harness.release!(true));
  await b.page.waitForFunction(() => (window as unknown as { pending: Pending }).pending.state !== 'pending');
  expect((await outcome(b.page)).state).toBe('resolved');
  expect(await a.page.evaluate(() => window.harness.txOutcome)).toBe('committed');
  const rows = await b.page.evaluate(() => window.db.all('SELECT tab, seq FROM writes ORDER BY seq'));
  expect(rows).toEqual([
    { tab: a.tab, seq: -1 },
    { tab: b.tab, seq: 1 },
  ]);
});

test("another tab's read never sees a transaction's uncommitted rows", async () => {
  const name = uniqueName('hide');
  const a = await openTab(name);
  const b = await openTab(name);
  await a.page.evaluate((t) => window.harness.openTransaction(t), a.tab);
  await start(b.page, 'SELECT tab, seq FROM writes', [], 'all');
  await until(async () => (await a.page.evaluate(() => window.db.status())).queueDepth === 1, 'requests queued at the leader');
  expect((await outcome(b.page)).state).toBe('pending');
  await a.page.evaluate(() => window.harness.release!(false));
  await b.page.waitForFunction(() => (window as unknown as { pending: Pending }).pending.state !== 'pending');
  expect(await outcome(b.page)).toEqual({ state: 'resolved', value: [] });
  expect(await a.page.evaluate(() => window.harness.txOutcome)).toBe('thrown');
});

test.each(['direct', 'forwarded'] as const)(
  "a tab closed inside its transaction (%s path) is rolled back and the others' writes go on",
  async (path) => {
    const name = uniqueName('deadtab');
    const leader = await openTab(name, 5_000);
    const doomed = await openTab(name);
    await doomed.page.evaluate((p) => window.harness.usePath(p), path);
    await doomed.page.evaluate((t) => window.harness.openTransaction(t), doomed.tab);
    await start(leader.page, 'INSERT INTO writes (tab, seq) VALUES (?, 1)', [leader.tab]);
    await until(async () => (await leader.page.evaluate(() => window.db.status())).queueDepth === 1, 'requests queued at the leader');

    await doomed.page.close();
    // The waiting write has a 5 s lockTimeout: it succeeds only if the dead tab's transaction was
    // rolled back well before that.
    await leader.page.waitForFunction(() => (window as unknown as { pending: Pending }).pending.state !== 'pending');
    expect((await outcome(leader.page)).state).toBe('resolved');
    const rows = await leader.page.evaluate(() => window.db.all('SELECT tab, seq FROM writes'));
    expect(rows).toEqual([{ tab: leader.tab, seq: 1 }]);
    expect((await leader.page.evaluate(() => window.db.status())).inTransaction).toBe(false);
  },
);

test.each(['direct', 'forwarded'] as const)(
  "a follower's transaction (%s path) cut by the leader's death rejects TRANSACTION_ABORTED and applied nothing",
  async (path) => {
    const name = uniqueName('cut');
    const leader = await openTab(name);
    const follower = await openTab(name);
    await follower.page.evaluate((p) => window.harness.usePath(p), path);
    await follower.page.evaluate((t) => window.harness.openTransaction(t), follower.tab);
    await leader.page.close();
    await follower.page.evaluate(() => window.harness.release!(true));
    await follower.page.waitForFunction(() => window.harness.txOutcome !== undefined);
    expect(await follower.page.evaluate(() => window.harness.txOutcome)).toBe('TRANSACTION_ABORTED');
    const rows = await follower.page.evaluate(() => window.db.all('SELECT * FROM writes'));
    expect(rows).toEqual([]);
    expect((await follower.page.evaluate(() => window.db.status())).role).toBe('leader');
  },
);

test('a call waiting longer than lockTimeout rejects LOCK_TIMEOUT and the database stays usable', async () => {
  const name = uniqueName('timeout');
  const a = await openTab(name);
  const b = await openTab(name, 300);
  await a.page.evaluate((t) => window.harness.openTransaction(t), a.tab);
  await start(b.page, 'INSERT INTO writes (tab, seq) VALUES (?, 1)', [b.tab]);
  await b.page.waitForFunction(() => (window as unknown as { pending: Pending }).pending.state !== 'pending');
  expect(await outcome(b.page)).toEqual({ state: 'rejected', value: 'LOCK_TIMEOUT' });
  await a.page.evaluate(() => window.harness.release!(true));
  await b.page.evaluate((t) => window.db.run('INSERT INTO writes (tab, seq) VALUES (?, 2)', [t]), b.tab);
  const rows = await a.page.evaluate(() => window.db.all('SELECT seq FROM writes ORDER BY seq'));
  expect(rows).toEqual([{ seq: -1 }, { seq: 2 }]);
});
