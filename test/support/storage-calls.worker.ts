/**
 * Test-only worker: opens a database with the leader's OPFS engine, in this worker, and counts the
 * calls that reach OPFS (FileSystemSyncAccessHandle.write and .flush) while it writes. Counting
 * needs to wrap the handles of the worker that writes, so this cannot run from the page.
 */
import { expose } from 'comlink';
import { openOpfsEngine } from '../../worker/engine/opfs-engine.ts';
import type { Durability } from '../../src/types.ts';

const counts = { write: 0, flush: 0, bytes: 0 };
const proto = FileSystemSyncAccessHandle.prototype;
for (const method of ['write', 'flush'] as const) {
  const original = proto[method] as (...args: unknown[]) => unknown;
  (proto as unknown as Record<string, unknown>)[method] = function (this: unknown, ...args: unknown[]) {
    counts[method]++;
    if (method === 'write') counts.bytes += (args[0] as ArrayBufferView).byteLength;
    return original.apply(this, args);
  };
}

/** `body`'s OPFS calls, and the WAL frames (a 24-byte header and a page each) it wrote. */
function counted(pageSize: number, body: () => void): { write: number; flush: number; frames: number } {
  counts.write = 0;
  counts.flush = 0;
  counts.bytes = 0;
  body();
  return { write: counts.write, flush: counts.flush, frames: counts.bytes / (24 + pageSize) };
}

expose({
  async profile(name: string, durability: Durability) {
    const engine = await openOpfsEngine(name, durability);
    const conn = engine.connection;
    try {
      conn.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)');
      const pageSize = Number(conn.query('PRAGMA page_size', undefined).rows[0]?.page_size);
      // The first commit into an empty WAL also writes and syncs the log's header: not counted.
      conn.query('INSERT INTO t (body) VALUES (?)', ['first']);
      // One single-row commit: how many WAL frames (pages) it appends, in how many calls.
      const single = counted(pageSize, () => conn.query('INSERT INTO t (body) VALUES (?)', ['one']));
      // Eight rows in one transaction, as a group commit of eight writes.
      const group = counted(pageSize, () => {
        conn.control('BEGIN');
        for (let i = 0; i < 8; i++) conn.query('INSERT INTO t (body) VALUES (?)', [`row ${i}`]);
        conn.control('COMMIT');
      });
      // A transaction larger than the page cache: SQLite spills pages to the WAL and reads
      // them back before its COMMIT.
      conn.exec('PRAGMA cache_size = 8');
      conn.control('BEGIN');
      for (let i = 0; i < 2000; i++) conn.query('INSERT INTO t (body) VALUES (?)', [`spilled ${i} `.repeat(40)]);
      const inside = Number(conn.query("SELECT count(*) AS n FROM t WHERE body LIKE 'spilled%'", undefined).rows[0]?.n);
      conn.control('COMMIT');
      const integrity = String(conn.query('PRAGMA integrity_check', undefined).rows[0]?.integrity_check);
      return { single, group, inside, integrity };
    } finally {
      engine.close();
    }
  },
});
