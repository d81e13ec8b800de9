/**
 * Failover: the leader's tab goes away (closed, reloaded) while other tabs write. A follower's
 * worker takes the baton; calls in flight are retried with their request ids; every acknowledged
 * write is in the file exactly once and no call fails.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Tab as Page } from '../support/tab.ts';
import { leaderOf, rowsByKey, type HarnessTab as Tab } from '../support/harness-tabs.ts';
import { until, useTabs } from '../support/tabs.ts';
import { sleep } from '../support/sleep.ts';
import { uniqueName } from '../support/unique-name.ts';

const tabs = useTabs({ beforeAll, afterAll });

async function openTab(name: string): Promise<Tab> {
  const page = await tabs().openTab();
  const tab = await page.evaluate((n) => window.harness.open(n), name);
  return { page, tab };
}

test('leader tab closed three times while four tabs write: nothing lost, nothing twice, no errors', async () => {
  const name = uniqueName('failover');
  const open: Tab[] = [];
  for (let i = 0; i < 4; i++) open.push(await openTab(name));
  for (const { page, tab } of open) await page.evaluate((t) => window.harness.startWriting(t, 3), tab);

  const acknowledged: string[] = [];
  const failures: string[] = [];
  for (let kill = 0; kill < 3; kill++) {
    await sleep(700);
    const leader = await leaderOf(open);
    await leader.page.close();
    open.splice(open.indexOf(leader), 1);
    const replacement = await openTab(name);
    await replacement.page.evaluate((t) => window.harness.startWriting(t, 3), replacement.tab);
    open.push(replacement);
  }
  await sleep(700);

  for (const { page, tab } of open) {
    const outcomes = await page.evaluate(() => window.harness.stopWriting());
    for (const o of outcomes) (o.ok ? acknowledged : failures).push(o.ok ? `${tab}/${o.seq}` : `${tab}/${o.seq}: ${o.code}`);
  }
  // Let the writes still in flight settle before reading.
  await sleep(500);
  const file = await rowsByKey(open[0]!.page);

  expect(failures).toEqual([]);
  expect(acknowledged.length).toBeGreaterThan(0);
  expect(acknowledged.filter((key) => file.get(key) !== 1)).toEqual([]);
  expect([...file.values()].filter((n) => n > 1)).toEqual([]);
});

test('a reloaded leader tab gives the baton away and rejoins as a follower that can write', async () => {
  const name = uniqueName('reload');
  const first = await openTab(name);
  const second = await openTab(name);
  expect((await first.page.evaluate(() => window.db.status())).role).toBe('leader');

  await second.page.evaluate((t) => window.harness.startWriting(t, 2), second.tab);
  await first.page.reload();
  await first.page.waitForFunction(() => window.__harnessReady === true);
  const reopened = await first.page.evaluate((n) => window.harness.open(n), name);
  await first.page.evaluate((t) => window.harness.write(t, 20, 2), reopened);
  const outcomes = await second.page.evaluate(() => window.harness.stopWriting());

  expect(outcomes.filter((o) => !o.ok)).toEqual([]);
  const statuses = await Promise.all([first, second].map(({ page }) => page.evaluate(() => window.db.status())));
  expect(statuses.map((s) => s.role).sort()).toEqual(['follower', 'leader']);
  expect(statuses[1]!.role).toBe('leader');
  const count = await first.page.evaluate(
    (t) => window.db.get<{ n: number }>('SELECT count(*) AS n FROM writes WHERE tab = ?', [t]),
    reopened,
  );
  expect(count?.n).toBe(20);
});

test('a write retried after its worker died is answered from the request log, not applied twice', async () => {
  const name = uniqueName('once');
  const leader = await openTab(name);
  const follower = await openTab(name);
  await follower.page.evaluate(() => window.harness.usePath('forwarded'));
  // The leader's open transaction holds the writer, so the follower's write waits in the queue.
  await leader.page.evaluate((t) => window.harness.openTransaction(t), leader.tab);
  await follower.page.evaluate((t) => {
    (window as unknown as { pending: Promise<unknown> }).pending = window.db.run('INSERT INTO writes (tab, seq) VALUES (?, 1)', [t]);
  }, follower.tab);
  await until(async () => (await leader.page.evaluate(() => window.db.status())).queueDepth === 1, 'requests queued at the leader');
  // The follower's worker dies with the write queued at the leader; its page retries the write
  // with the same request id through a new worker, so the leader's queue holds it twice.
  await follower.page.evaluate(() => window.testing.terminateWorker(window.db));
  await until(async () => (await leader.page.evaluate(() => window.db.status())).queueDepth === 2, 'requests queued at the leader');
  await leader.page.evaluate(() => window.harness.release!(true));

  const result = await follower.page.evaluate(() => (window as unknown as { pending: Promise<unknown> }).pending);
  expect(result).toEqual({ changes: 1, lastInsertRowid: expect.any(Number) });
  const count = await leader.page.evaluate(
    (t) => window.db.get<{ n: number }>('SELECT count(*) AS n FROM writes WHERE tab = ?', [t]),
    follower.tab,
  );
  expect(count?.n).toBe(1);
  expect(await leader.page.evaluate(() => window.harness.txOutcome)).toBe('committed');
});

test('a dead worker is replaced once, however many calls were in flight', async () => {
  const name = uniqueName('respawn');
  const leader = await openTab(name);
  const follower = await openTab(name);
  await follower.page.evaluate(() => window.harness.usePath('forwarded'));
  const held = await follower.page.evaluate(async (t) => {
    const calls = Array.from({ length: 5 }, (_, i) => window.db.run('INSERT INTO writes (tab, seq) VALUES (?, ?)', [t, i]));
    await window.testing.terminateWorker(window.db);
    await Promise.all(calls);
    const { held: locks = [] } = await navigator.locks.query();
    // The tab's workers' liveness locks (`<tab>~<n>`), not its page's (`<tab>~page`).
    return locks.map((l) => l.name ?? '').filter((n) => new RegExp(`:peer:${t}~\\d+$`).test(n));
  }, follower.tab);
  expect(held).toHaveLength(1);
  const count = await leader.page.evaluate(
    (t) => window.db.get<{ n: number }>('SELECT count(*) AS n FROM writes WHERE tab = ?', [t]),
    follower.tab,
  );
  expect(count?.n).toBe(5);
});

test('status() after the worker died starts a new one and answers', async () => {
  const name = uniqueName('status');
  await openTab(name);
  const follower = await openTab(name);
  const status = await follower.page.evaluate(async () => {
    await window.testing.terminateWorker(window.db);
    return window.db.status();
  });
  expect(status).toMatchObject({ role: 'follower', tabId: follower.tab });
});
