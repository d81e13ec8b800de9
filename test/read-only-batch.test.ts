/**
 * A batch whose statements only read runs as a read: no transaction, no COMMIT, nothing in the
 * request record (issue 17, defect 5). A batch with one write is a write as before.
 */
import { describe, expect, it } from 'vitest';
import type { Database } from 'sqlite-baton';
import { open } from './support/open.ts';

async function recorded(db: Database): Promise<number> {
  return (await db.get<{ n: number }>('SELECT count(*) AS n FROM _baton_requests'))!.n;
}

describe.each(['opfs', 'memory'] as const)('a read-only batch on %s', (storage) => {
  it('commits nothing and records nothing, however large its answer', async () => {
    const db = await open({ storage });
    await db.exec('CREATE TABLE blobs (b BLOB)');
    await db.run('INSERT INTO blobs VALUES (zeroblob(1048576))');
    const before = await db.status();
    const recordsBefore = await recorded(db);
    const results = await db.batch([
      { sql: 'SELECT b FROM blobs' },
      { sql: 'SELECT count(*) AS n FROM blobs' },
      { sql: 'SELECT 1 AS one' },
    ]);
    expect((results[0]!.rows[0]!.b as Uint8Array).byteLength).toBe(1048576);
    expect(results[1]!.rows).toEqual([{ n: 1 }]);
    const arrays = await db.batch([{ sql: 'SELECT length(b) FROM blobs' }], { rowMode: 'array' });
    expect(arrays[0]!.rows).toEqual([[1048576]]);
    const after = await db.status();
    expect(after.commits).toBe(before.commits);
    expect(await recorded(db)).toBe(recordsBefore);
  });

  it('a batch with one write among reads is still a recorded write', async () => {
    const db = await open({ storage });
    await db.exec('CREATE TABLE t (v INTEGER)');
    const before = await db.status();
    const recordsBefore = await recorded(db);
    await db.batch([{ sql: 'SELECT count(*) FROM t' }, { sql: 'INSERT INTO t VALUES (1)' }]);
    expect((await db.status()).commits).toBe(before.commits + 1);
    expect(await recorded(db)).toBe(recordsBefore + 1);
  });

  it('a read-only batch inside a transaction sees the transaction and records nothing', async () => {
    const db = await open({ storage });
    await db.exec('CREATE TABLE t (v INTEGER)');
    const recordsBefore = await recorded(db);
    await db.transaction(async (tx) => {
      await tx.run('INSERT INTO t VALUES (7)');
      expect((await tx.batch([{ sql: 'SELECT v FROM t' }]))[0]!.rows).toEqual([{ v: 7 }]);
    });
    // The transaction's COMMIT is recorded once; the batch inside it is not.
    expect(await recorded(db)).toBe(recordsBefore + 1);
  });
});
