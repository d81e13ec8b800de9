/**
 * Savepoints: allowed as SQL inside an interactive transaction (what Drizzle and Kysely issue),
 * refused everywhere else, with the library's own names reserved; `tx.savepoint(fn)` on top.
 */
import { describe, expect, it } from 'vitest';
import type { Database } from 'sqlite-baton';
import { count, failure, open } from './support/open.ts';

async function withTable(storage: 'opfs' | 'memory'): Promise<Database> {
  const db = await open({ storage });
  await db.exec('CREATE TABLE t (v TEXT)');
  return db;
}

async function values(db: Pick<Database, 'all'>): Promise<string[]> {
  return (await db.all<{ v: string }>('SELECT v FROM t ORDER BY rowid')).map((r) => r.v);
}

describe.each(['opfs', 'memory'] as const)('savepoints on %s', (storage) => {
  it('SAVEPOINT / ROLLBACK TO / RELEASE as SQL nest inside a transaction', async () => {
    const db = await withTable(storage);
    const tx = await db.begin();
    await tx.run("INSERT INTO t VALUES ('outer')");
    await tx.run('savepoint sp0');
    await tx.run("INSERT INTO t VALUES ('kept')");
    await tx.query('SAVEPOINT "sp1"');
    await tx.run("INSERT INTO t VALUES ('undone')");
    await tx.run('rollback to savepoint "sp1"');
    await tx.run('release savepoint "sp1"');
    await tx.run('release savepoint sp0');
    expect(await values(tx)).toEqual(['outer', 'kept']);
    expect((await db.status()).inTransaction).toBe(true);
    await tx.commit();
    expect(await values(db)).toEqual(['outer', 'kept']);
  });

  it('tx.savepoint keeps what the function did when it returns and undoes it when it throws, nested', async () => {
    const db = await withTable(storage);
    await db.transaction(async (tx) => {
      await tx.run("INSERT INTO t VALUES ('a')");
      const value = await tx.savepoint(async (inner) => {
        await inner.run("INSERT INTO t VALUES ('b')");
        const thrown = new Error('undo c');
        const caught = await inner
          .savepoint(async (innermost) => {
            await innermost.run("INSERT INTO t VALUES ('c')");
            throw thrown;
          })
          .catch((e: unknown) => e);
        expect(caught).toBe(thrown);
        return 'b kept';
      });
      expect(value).toBe('b kept');
      await tx
        .savepoint(async () => {
          await tx.run("INSERT INTO t VALUES ('d')");
          throw new Error('undo d');
        })
        .catch(() => undefined);
    });
    expect(await values(db)).toEqual(['a', 'b']);
  });

  it('outside an interactive transaction every savepoint statement is refused, even one cached from inside a transaction', async () => {
    const db = await withTable(storage);
    for (const sql of ['SAVEPOINT s', 'RELEASE s', 'ROLLBACK TO s']) {
      expect((await failure(() => db.run(sql))).code).toBe('INVALID_ARGUMENT');
      expect((await failure(() => db.exec(sql))).code).toBe('INVALID_ARGUMENT');
      expect((await failure(() => db.batch([{ sql }]))).code).toBe('INVALID_ARGUMENT');
    }
    await db.transaction(async (tx) => {
      await tx.run('SAVEPOINT s');
      await tx.all('RELEASE s');
    });
    // The same texts were just prepared and cached inside the transaction; the cache must not let them through.
    for (const run of [() => db.run('SAVEPOINT s'), () => db.all('SAVEPOINT s'), () => db.query('RELEASE s')]) {
      expect((await failure(run)).code).toBe('INVALID_ARGUMENT');
    }
    expect((await db.status()).inTransaction).toBe(false);
    await db.run("INSERT INTO t VALUES ('still works')");
    expect(await count(db, 't')).toBe(1);
  });

  it('savepoint names starting with baton_ are the library’s: refused in any case', async () => {
    const db = await withTable(storage);
    await db.transaction(async (tx) => {
      for (const sql of ['SAVEPOINT baton_request', 'RELEASE baton_request', 'ROLLBACK TO BATON_request', 'SAVEPOINT Baton_x']) {
        const error = await failure(() => tx.run(sql));
        expect(error.code).toBe('INVALID_ARGUMENT');
        expect(error.message).toMatch(/reserved/);
      }
      await tx.run("INSERT INTO t VALUES ('a')");
    });
    expect(await values(db)).toEqual(['a']);
  });

  it('a batch inside a transaction still runs whole or not at all around the user’s savepoints', async () => {
    const db = await withTable(storage);
    await db.exec('CREATE UNIQUE INDEX t_v ON t (v)');
    await db.transaction(async (tx) => {
      await tx.run('SAVEPOINT mine');
      await tx.run("INSERT INTO t VALUES ('a')");
      expect((await failure(() => tx.batch([{ sql: "INSERT INTO t VALUES ('b')" }, { sql: "INSERT INTO t VALUES ('a')" }]))).code).toBe(
        'SQLITE_CONSTRAINT_UNIQUE',
      );
      await tx.run('RELEASE mine');
    });
    expect(await values(db)).toEqual(['a']);
  });
});
