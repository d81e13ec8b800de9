/**
 * Long reads and the other tabs' writes. A read still running after a moment on the leader's one
 * connection moves to the leader's reader worker, which reads the database file as it was when
 * the read moved; the leader goes on committing. These tests check what that must keep: other
 * tabs' writes are not held up by the read, the read sees one consistent state (no write
 * committed while it runs), a read that starts later sees every write acknowledged before it, and
 * queryTimeout still bounds a read wherever it runs. No timing is asserted: the order of events is.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Tab as Page } from '../support/tab.ts';
import { useTabs } from '../support/tabs.ts';
import { uniqueName } from '../support/unique-name.ts';

const tabs = useTabs({ beforeAll, afterAll });

/** SQLite counting to `n`, between two counts of the `writes` rows: one statement, one snapshot. */
const COUNTING_READ = `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?)
  SELECT (SELECT count(*) FROM writes WHERE note = ?) AS first, (SELECT count(*) FROM c) AS n,
         (SELECT count(*) FROM writes WHERE note = ?) AS last`;

interface Counted {
  first: number;
  n: number;
  last: number;
}

async function openTab(name: string, options?: Record<string, unknown>): Promise<{ page: Page; tab: string }> {
  const page = await tabs().openTab();
  const tab = await page.evaluate(([n, o]) => window.harness.open(n, o), [name, options] as const);
  return { page, tab };
}

/** Whether this browser's workers can share an access handle (Chromium's 'readwrite-unsafe' mode). */
function sharedHandles(page: Page): Promise<boolean> {
  return page.evaluate(
    () =>
      new Promise<boolean>((resolve) => {
        const probe = "postMessage(typeof FileSystemSyncAccessHandle !== 'undefined' && 'mode' in FileSystemSyncAccessHandle.prototype)";
        const worker = new Worker(URL.createObjectURL(new Blob([probe], { type: 'text/javascript' })));
        worker.onmessage = (event: MessageEvent<boolean>) => {
          worker.terminate();
          resolve(event.data);
        };
      }),
  );
}

/** How far SQLite counts in about `ms` here (measured on the leader, second probe of two). */
async function countFor(page: Page, ms: number): Promise<number> {
  return page.evaluate(async (target) => {
    const probe = 300_000;
    const sql = 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?) SELECT count(*) AS n FROM c';
    await window.db.get(sql, [probe]);
    const t0 = performance.now();
    await window.db.get(sql, [probe]);
    return Math.round((probe * target) / Math.max(performance.now() - t0, 1));
  }, ms);
}

test("a follower's long read does not hold up another tab's writes, and reads one consistent state", async () => {
  const name = uniqueName('long-read');
  const leader = await openTab(name);
  const follower = await openTab(name);
  const n = await countFor(follower.page, 2_000);
  // The leader's tab writes once it hears that the follower's read is on its way, and tells the
  // follower of each write acknowledged.
  await leader.page.evaluate(
    ([db, tab]) => {
      const w = window as unknown as { acked: number; failed: string[]; stop: boolean };
      w.acked = 0;
      w.failed = [];
      w.stop = false;
      const acks = new BroadcastChannel(`test-acks-${db}`);
      new BroadcastChannel(`test-reading-${db}`).onmessage = async () => {
        // A moment for the read to reach the leader first.
        await new Promise((r) => setTimeout(r, 300));
        for (let seq = 0; !w.stop; seq++) {
          try {
            await window.db.run('INSERT INTO writes (tab, seq, note) VALUES (?, ?, ?)', [tab, seq, 'during']);
            w.acked++;
            acks.postMessage(seq);
          } catch (e) {
            w.failed.push((e as { code?: string }).code ?? String(e));
          }
        }
      };
    },
    [name, leader.tab] as const,
  );
  const result = await follower.page.evaluate(
    async ([db, sql, count]) => {
      let heard = 0;
      new BroadcastChannel(`test-acks-${db}`).onmessage = () => heard++;
      const reading = window.db.get<Counted>(sql, [count, 'during', 'during']);
      new BroadcastChannel(`test-reading-${db}`).postMessage('reading');
      const row = await reading;
      return { row, heardBeforeAnswer: heard };
    },
    [name, COUNTING_READ, n] as const,
  );
  // Where the writes waited for the read (the bound), the first of them lands just after it.
  await leader.page.waitForFunction(() => {
    const w = window as unknown as { acked: number; failed: string[] };
    return w.acked > 0 || w.failed.length > 0;
  });
  const writer = await leader.page.evaluate(() => {
    const w = window as unknown as { acked: number; failed: string[]; stop: boolean };
    w.stop = true;
    return { acked: w.acked, failed: w.failed };
  });
  expect(result.row?.n).toBe(n);
  if (await sharedHandles(follower.page)) {
    // Writes made while the read ran were acknowledged before it answered: it held nobody up.
    expect(result.heardBeforeAnswer).toBeGreaterThan(0);
  } else {
    // Where access handles cannot be shared (Firefox, Safari), the documented bound: the read
    // runs on the leader's one connection and every write waits for it.
    expect(result.heardBeforeAnswer).toBe(0);
  }
  // And it saw none of them, from its first count to its last: one state, as of its start.
  expect(result.row?.first).toBe(0);
  expect(result.row?.last).toBe(0);
  expect(writer.failed).toEqual([]);
  expect(writer.acked).toBeGreaterThan(0);
  for (const tab of [leader, follower]) await tab.page.close();
});

test('a read that starts later sees every write acknowledged before it, while an earlier long read still runs', async () => {
  const name = uniqueName('later-read');
  const leader = await openTab(name);
  const first = await openTab(name);
  const second = await openTab(name);
  const n = await countFor(first.page, 2_000);
  // The first read moves to the reader; then a write commits; then a second long read starts.
  const firstRead = first.page.evaluate(([sql, count]) => window.db.get<Counted>(sql, [count, 'x', 'x']), [COUNTING_READ, n] as const);
  await leader.page.evaluate(() => new Promise((r) => setTimeout(r, 400)));
  await leader.page.evaluate((tab) => window.db.run("INSERT INTO writes (tab, seq, note) VALUES (?, 1, 'x')", [tab]), leader.tab);
  const secondRow = await second.page.evaluate(([sql, count]) => window.db.get<Counted>(sql, [count, 'x', 'x']), [
    COUNTING_READ,
    Math.round(n / 4),
  ] as const);
  const firstRow = await firstRead;
  // The second read cannot use the file the first one reads (a commit came after it): it sees the write.
  expect(secondRow).toEqual({ first: 1, n: Math.round(n / 4), last: 1 });
  // The first read's state is that of its start, before the write.
  expect(firstRow).toEqual({ first: 0, n, last: 0 });
  for (const tab of [leader, first, second]) await tab.page.close();
});

test("queryTimeout still stops a runaway read (INTERRUPTED), and another tab's write meanwhile goes through", async () => {
  const name = uniqueName('runaway');
  const leader = await openTab(name);
  const follower = await openTab(name, { queryTimeout: 1_000 });
  const endless = follower.page.evaluate(() =>
    window.db.get('WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r) SELECT count(*) FROM r').then(
      () => 'answered',
      (e: unknown) => `${(e as { code?: string }).code}: ${(e as Error).message}`,
    ),
  );
  await leader.page.evaluate(() => new Promise((r) => setTimeout(r, 300)));
  const written = await leader.page.evaluate(
    (tab) => window.db.run("INSERT INTO writes (tab, seq, note) VALUES (?, 1, 'meanwhile')", [tab]),
    leader.tab,
  );
  expect(written.changes).toBe(1);
  expect(await endless).toBe('INTERRUPTED: the call ran longer than its queryTimeout (1000 ms) and was interrupted; it applied nothing');
  // The reader is still there for the next long read (within the follower's queryTimeout).
  const n = await countFor(follower.page, 500);
  const row = await follower.page.evaluate(([sql, count]) => window.db.get<Counted>(sql, [count, 'meanwhile', 'meanwhile']), [
    COUNTING_READ,
    n,
  ] as const);
  expect(row).toEqual({ first: 1, n, last: 1 });
  for (const tab of [leader, follower]) await tab.page.close();
});

test("a long read of a TEMP table (which only the leader's connection has) still answers", async () => {
  const name = uniqueName('temp-read');
  const leader = await openTab(name);
  const n = await countFor(leader.page, 1_000);
  const row = await leader.page.evaluate(async (count) => {
    await window.db.exec("CREATE TEMP TABLE scratch (v TEXT); INSERT INTO scratch VALUES ('kept')");
    return window.db.get<{ v: string; n: number }>(
      'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?) SELECT (SELECT v FROM scratch) AS v, (SELECT count(*) FROM c) AS n',
      [count],
    );
  }, n);
  expect(row).toEqual({ v: 'kept', n });
  await leader.page.close();
});

test('after a pragma that changes what a read returns, long reads keep to the connection it was set on', async () => {
  const name = uniqueName('pragma-read');
  const leader = await openTab(name);
  const n = await countFor(leader.page, 1_000);
  const row = await leader.page.evaluate(async (count) => {
    await window.db.exec("CREATE TABLE words (w TEXT); INSERT INTO words VALUES ('Apple')");
    await window.db.exec('PRAGMA case_sensitive_like = ON');
    return window.db.get<{ matches: number; n: number }>(
      "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?) SELECT (SELECT count(*) FROM words WHERE w LIKE 'apple') AS matches, (SELECT count(*) FROM c) AS n",
      [count],
    );
  }, n);
  // Case-sensitive, as set: 'Apple' is not LIKE 'apple' (another connection would say it is).
  expect(row).toEqual({ matches: 0, n });
  await leader.page.close();
});
