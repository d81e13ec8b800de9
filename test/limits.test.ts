import { describe, expect, it } from 'vitest';
import { SqliteError, type Database } from 'sqlite-baton';
import { open as openFresh, STORAGES, type TestStorage } from './support/open.ts';

/** The leader serves every tab: a runaway or oversized call must fail alone, with a code. */

function open(storage: TestStorage, queryTimeout?: number): Promise<Database> {
  return openFresh(queryTimeout ? { storage, queryTimeout } : { storage });
}

const ENDLESS = 'WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r) SELECT count(*) FROM r';

describe.each(STORAGES)('limits on %s', (storage) => {
  it('interrupts a runaway query at its queryTimeout with INTERRUPTED, and keeps serving', async () => {
    const db = await open(storage, 300);
    await db.exec('CREATE TABLE t (x)');
    await db.run('INSERT INTO t VALUES (1)');
    const error = await db.get(ENDLESS).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SqliteError);
    expect((error as SqliteError).code).toBe('INTERRUPTED');
    expect(await db.all('SELECT x FROM t')).toEqual([{ x: 1 }]);
  });

  it('an interrupted write applies nothing, and the writes grouped with it still commit', async () => {
    const db = await open(storage, 300);
    await db.exec('CREATE TABLE t (x)');
    const runaway = db.run(`INSERT INTO t SELECT i FROM (WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r) SELECT i FROM r)`);
    const neighbour = db.run('INSERT INTO t VALUES (?)', ['kept']);
    await expect(runaway).rejects.toMatchObject({ code: 'INTERRUPTED' });
    await expect(neighbour).resolves.toMatchObject({ changes: 1 });
    expect(await db.all('SELECT x FROM t')).toEqual([{ x: 'kept' }]);
  });

  it('refuses a value larger than the length limit with SQLITE_TOOBIG', async () => {
    const db = await open(storage);
    await db.exec('CREATE TABLE t (x)');
    const error = await db.get('SELECT zeroblob(300 * 1024 * 1024) AS b').catch((e: unknown) => e);
    expect((error as SqliteError).code).toBe('SQLITE_TOOBIG');
    await db.run('INSERT INTO t VALUES (1)');
    expect(await db.get('SELECT count(*) AS n FROM t')).toEqual({ n: 1 });
  });

  it('refuses ATTACH', async () => {
    const db = await open(storage);
    const error = await db.exec("ATTACH DATABASE 'other.db' AS other").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SqliteError);
    expect((error as SqliteError).code).toBe('SQLITE_AUTH');
  });
});
