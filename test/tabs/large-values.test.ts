/**
 * A 50 MB value from a follower tab, on both of its paths to the leader (its page straight to the
 * leader's worker, or through its own worker): written, read back with `get` and with `batch`,
 * and written with `INSERT ... RETURNING`, all intact, while another tab keeps writing small rows,
 * none of which is refused. No timing is asserted: how long each wait is is the benchmark's
 * (`npm run bench -- --only=blob`).
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Tab as Page } from '../support/tab.ts';
import { useTabs } from '../support/tabs.ts';
import { uniqueName } from '../support/unique-name.ts';

const tabs = useTabs({ beforeAll, afterAll });

const BYTES = 50 * 1024 * 1024;

interface RoundTrip {
  /** Per step, the index of the first byte that differed from what was written, or -1. */
  mismatch: Record<string, number>;
  returnedLength: number;
  /** When the calls started and ended (Date.now), to tell which small writes were made meanwhile. */
  start: number;
  end: number;
}

async function openTab(name: string): Promise<{ page: Page; tab: string }> {
  const page = await tabs().openTab();
  const tab = await page.evaluate((n) => window.harness.open(n), name);
  return { page, tab };
}

/** In `page`: the 50 MB value written, read back twice, and written again with RETURNING. */
function roundTrip(page: Page, bytes: number): Promise<RoundTrip> {
  return page.evaluate(async (size) => {
    const db = window.db;
    await db.exec('CREATE TABLE IF NOT EXISTS blobs (id INTEGER PRIMARY KEY, body BLOB NOT NULL)');
    // Every byte depends on its position, so a shifted, truncated or zeroed copy is caught.
    const value = new Uint8Array(size);
    for (let i = 0; i < size; i++) value[i] = (i * 31 + (i >>> 12)) & 0xff;
    const firstDifference = (got: unknown): number => {
      if (!(got instanceof Uint8Array)) return 0;
      if (got.byteLength !== size) return Math.min(got.byteLength, size);
      for (let i = 0; i < size; i++) if (got[i] !== value[i]) return i;
      return -1;
    };
    const start = Date.now();
    const { lastInsertRowid } = await db.run('INSERT INTO blobs (body) VALUES (?)', [value]);
    const row = await db.get<{ body: Uint8Array }>('SELECT body FROM blobs WHERE id = ?', [lastInsertRowid]);
    const [batched] = await db.batch([{ sql: 'SELECT body FROM blobs WHERE id = ?', params: [lastInsertRowid] }]);
    const returned = await db.all<{ body: Uint8Array }>('INSERT INTO blobs (body) VALUES (?) RETURNING body', [value]);
    const end = Date.now();
    return {
      mismatch: {
        get: firstDifference(row?.body),
        batch: firstDifference((batched?.rows[0] as { body?: unknown } | undefined)?.body),
        returning: firstDifference(returned[0]?.body),
        // The caller's own array is left as it was (it is the app's, not the library's).
        argument: firstDifference(value),
      },
      returnedLength: returned.length,
      start,
      end,
    };
  }, bytes);
}

test.each(['direct', 'forwarded'] as const)(
  'a 50 MB value round-trips intact from a follower (%s path) while another tab writes, unrefused',
  async (path) => {
    const name = uniqueName(`large-${path}`);
    const leader = await openTab(name);
    const follower = await openTab(name);
    const other = await openTab(name);
    await follower.page.evaluate((p) => window.harness.usePath(p), path);
    // The other tab writes single rows, one after the other, for as long as the large calls run.
    await other.page.evaluate((t) => {
      const w = window as unknown as { small: Array<{ seq: number; start: number; code?: string }>; stop: boolean; writing: Promise<void> };
      w.small = [];
      w.stop = false;
      w.writing = (async () => {
        for (let seq = 0; !w.stop; seq++) {
          const start = Date.now();
          try {
            await window.db.run('INSERT INTO writes (tab, seq) VALUES (?, ?)', [t, seq]);
            w.small.push({ seq, start });
          } catch (e) {
            w.small.push({ seq, start, code: (e as { code?: string }).code ?? String(e) });
          }
        }
      })();
    }, other.tab);
    let result: RoundTrip;
    try {
      result = await roundTrip(follower.page, BYTES);
    } finally {
      await other.page.evaluate(async () => {
        const w = window as unknown as { stop: boolean; writing: Promise<void> };
        w.stop = true;
        await w.writing;
      });
    }
    expect(result.mismatch).toEqual({ get: -1, batch: -1, returning: -1, argument: -1 });
    expect(result.returnedLength).toBe(1);
    const small = await other.page.evaluate(
      () => (window as unknown as { small: Array<{ seq: number; start: number; code?: string }> }).small,
    );
    // Some were issued while the large calls ran, and none was refused (no LOCK_TIMEOUT, nothing).
    expect(small.filter((w) => w.start >= result.start && w.start <= result.end).length).toBeGreaterThan(0);
    expect(small.filter((w) => w.code !== undefined)).toEqual([]);
    const rows = await leader.page.evaluate(
      (t) => window.db.all<{ seq: number }>('SELECT seq FROM writes WHERE tab = ? ORDER BY seq', [t]),
      other.tab,
    );
    // Every acknowledged small write is in the file, once.
    expect(rows.map((r) => r.seq)).toEqual(small.map((w) => w.seq));
    const blobs = await leader.page.evaluate(() =>
      window.db.get<{ n: number; bytes: number }>('SELECT count(*) AS n, sum(length(body)) AS bytes FROM blobs'),
    );
    expect(blobs).toEqual({ n: 2, bytes: 2 * BYTES });
    for (const tab of [leader, follower, other]) await tab.page.close();
  },
  240_000,
);

test('a value of 4 MiB or more crosses between tabs as a Blob, not as a copy in the message', async () => {
  const name = uniqueName('large-blob');
  await openTab(name);
  const follower = await openTab(name);
  await follower.page.evaluate(() => window.harness.usePath('direct'));
  const observer = await tabs().openTab();
  // Any tab of the origin can listen on a follower's RPC channel: see what crosses it.
  await observer.evaluate((channel) => {
    const seen: string[] = [];
    (window as unknown as { seen: string[] }).seen = seen;
    new BroadcastChannel(channel).onmessage = (e: MessageEvent) => {
      const found: string[] = [];
      const walk = (v: unknown, depth: number): void => {
        if (v instanceof Blob) found.push(`Blob ${v.size}`);
        else if (v instanceof Uint8Array) found.push(`Uint8Array ${v.byteLength}`);
        else if (depth < 10 && typeof v === 'object' && v !== null) for (const item of Object.values(v)) walk(item, depth + 1);
      };
      walk(e.data, 0);
      seen.push(...found);
    };
  }, `sqlite-baton:${name}:rpc:${follower.tab}~page`);
  const lengths = await follower.page.evaluate(async () => {
    await window.db.exec('CREATE TABLE t (small BLOB, big BLOB)');
    await window.db.run('INSERT INTO t VALUES (?, ?)', [new Uint8Array(1000).fill(1), new Uint8Array(4 * 1024 * 1024).fill(2)]);
    const row = await window.db.get<{ small: Uint8Array; big: Uint8Array }>('SELECT small, big FROM t');
    return [row?.small.byteLength, row?.big.byteLength, row?.big.every((b) => b === 2)];
  });
  expect(lengths).toEqual([1000, 4 * 1024 * 1024, true]);
  await observer.waitForFunction(() => (window as unknown as { seen: string[] }).seen.length >= 4);
  const seen = await observer.evaluate(() => (window as unknown as { seen: string[] }).seen);
  // Each way: the small value as itself, the large one as a Blob.
  expect(seen.sort()).toEqual(['Blob 4194304', 'Blob 4194304', 'Uint8Array 1000', 'Uint8Array 1000']);
});
