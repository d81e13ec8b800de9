/**
 * Frozen tabs (the tab capability `freeze`: DevTools' Page.setWebLifecycleState in Chromium;
 * Firefox cannot freeze a live tab, so these are skipped there, see test/support/engine.ts). A frozen page keeps its Web Locks, so the
 * baton does not pass; in Chromium its dedicated worker keeps running, so a frozen leader tab
 * still serves. A frozen tab inside its transaction holds the writer: the others get a typed
 * LOCK_TIMEOUT, never a hang, and once it thaws everything goes on, nothing written twice.
 */
import { afterAll, beforeAll, expect } from 'vitest';
import { testWith, useTabs } from '../support/tabs.ts';
import { uniqueName } from '../support/unique-name.ts';

const tabs = useTabs({ beforeAll, afterAll });
const test = testWith('freeze');

test("a frozen leader tab's worker keeps serving the others, and after the thaw it is still the one leader", async () => {
  const name = uniqueName('frozen');
  const leader = await tabs().openTab();
  const leaderTab = await leader.evaluate((n) => window.harness.open(n), name);
  const follower = await tabs().openTab();
  const followerTab = await follower.evaluate((n) => window.harness.open(n, 1_000), name);

  await leader.freeze();
  const whileFrozen = await follower.evaluate(async (t) => {
    const started = Date.now();
    try {
      await window.db.run('INSERT INTO writes (tab, seq) VALUES (?, 1)', [t]);
      return { outcome: 'resolved', ms: Date.now() - started };
    } catch (e) {
      return { outcome: (e as { code?: string }).code, ms: Date.now() - started };
    }
  }, followerTab);
  await leader.resume();

  expect(whileFrozen.outcome).toBe('resolved');
  await follower.evaluate((t) => window.db.run('INSERT INTO writes (tab, seq) VALUES (?, 2)', [t]), followerTab);
  await leader.evaluate((t) => window.db.run('INSERT INTO writes (tab, seq) VALUES (?, 3)', [t]), leaderTab);
  const rows = await follower.evaluate(() => window.db.all<{ seq: number }>('SELECT seq FROM writes ORDER BY seq'));
  expect(rows.map((r) => r.seq)).toEqual([1, 2, 3]);
  const statuses = await Promise.all([leader, follower].map((p) => p.evaluate(() => window.db.status())));
  expect(statuses.filter((s) => s.role === 'leader')).toHaveLength(1);
});

test('a tab frozen inside its transaction makes the others time out with LOCK_TIMEOUT, then thaws and commits', async () => {
  const name = uniqueName('frozen-tx');
  const leader = await tabs().openTab();
  const leaderTab = await leader.evaluate((n) => window.harness.open(n, 1_000), name);
  const holder = await tabs().openTab();
  const holderTab = await holder.evaluate((n) => window.harness.open(n), name);
  await holder.evaluate((t) => window.harness.openTransaction(t), holderTab);
  await holder.freeze();

  const blocked = await leader.evaluate(async (t) => {
    try {
      await window.db.run('INSERT INTO writes (tab, seq) VALUES (?, 1)', [t]);
      return 'resolved';
    } catch (e) {
      return (e as { code?: string }).code;
    }
  }, leaderTab);
  expect(blocked).toBe('LOCK_TIMEOUT');

  await holder.resume();
  await holder.evaluate(() => window.harness.release!(true));
  await holder.waitForFunction(() => window.harness.txOutcome !== undefined);
  expect(await holder.evaluate(() => window.harness.txOutcome)).toBe('committed');
  await leader.evaluate((t) => window.db.run('INSERT INTO writes (tab, seq) VALUES (?, 2)', [t]), leaderTab);
  const rows = await leader.evaluate(() => window.db.all<{ seq: number }>('SELECT seq FROM writes ORDER BY seq'));
  expect(rows.map((r) => r.seq)).toEqual([-1, 2]);
});
