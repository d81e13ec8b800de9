/**
 * A commit whose notice never went out: the leader's worker is stopped just after its COMMIT
 * returned, before it could post the change notice or answer (the `after-flush` crash point of
 * test/support/fault-injection.ts). Another tab's watch must still show that commit once the next
 * leader opens: a new epoch makes every watch read again.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { CRASH_PATH } from '../support/crash-points.ts';
import { useTabs } from '../support/tabs.ts';
import { uniqueName } from '../support/unique-name.ts';

// Before the dev server starts: its worker entry then loads the fault injection (vite.config.ts).
process.env.SQLITE_BATON_FAULTS = '1';
const tabs = useTabs({ beforeAll, afterAll }, { path: CRASH_PATH });

afterAll(() => {
  delete process.env.SQLITE_BATON_FAULTS;
});

interface Seen {
  rows: number[];
  changes: Array<{ epoch: number; seq: number; missed: boolean }>;
}

test("a commit whose leader died before its notice is still seen by another tab's watch, under the next leader", async () => {
  const name = uniqueName('live-crash');
  const leader = await tabs().openTab();
  await leader.evaluate((n) => window.crash.open(n), name);
  const watcher = await tabs().openTab();
  await watcher.evaluate((n) => window.crash.open(n), name);
  expect(await leader.evaluate(() => window.crash.role())).toBe('leader');

  await watcher.evaluate(() => {
    const seen: Seen = { rows: [], changes: [] };
    (window as unknown as { seen: Seen }).seen = seen;
    window.db.addEventListener('change', (event) => seen.changes.push(event.detail));
    window.db.watch<{ n: number }>('SELECT count(*) AS n FROM w', [], (rows) => seen.rows.push(rows[0]!.n));
  });
  await watcher.waitForFunction(() => (window as unknown as { seen: Seen }).seen.rows.length === 1);
  const epoch = (await watcher.evaluate(() => window.db.status())).epoch;

  // The leader's worker stops after the COMMIT of the next group, before anything else; its tab
  // then ends it, and the write is retried at the next leader (answered from the request record).
  await leader.evaluate(() => window.crash.endOnFire('terminate'));
  await leader.evaluate(() => window.crash.arm('after-flush', 'group', 1, 2));
  await leader.evaluate(() => window.crash.run(1));
  await leader.waitForFunction(() => window.crash.pending() === 0, undefined, { timeout: 45_000 });
  expect(await leader.evaluate(() => window.crash.calls())).toMatchObject([{ seq: 1, ok: true }]);
  expect(await leader.evaluate(() => window.crash.fired)).toEqual(['group:after-flush#1']);

  await watcher.waitForFunction(() => (window as unknown as { seen: Seen }).seen.rows.at(-1) === 1, undefined, { timeout: 15_000 });
  const seen = await watcher.evaluate(() => (window as unknown as { seen: Seen }).seen);
  // The dead leader never announced its commit: the first notice this tab heard is the next leader's.
  expect(seen.changes.filter((c) => c.epoch === epoch)).toEqual([]);
  expect(seen.changes[0]).toMatchObject({ seq: 0, missed: true });
  expect(seen.changes[0]!.epoch).toBeGreaterThan(epoch);
  expect(seen.rows).toEqual([0, 1]);
});
