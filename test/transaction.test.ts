/**
 * Interactive transactions: commit on return, rollback on throw, the `tx` handle's lifetime, and
 * what other calls of the same handle do while a transaction holds the writer.
 */
import { describe, expect, it } from 'vitest';
import type { Database, Transaction } from 'sqlite-baton';
import { count, failure, open } from './support/open.ts';

/** A promise and the function that resolves it, to hold a transaction open until the test says so. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

/** Tracks whether a promise has settled, without awaiting it. */
function track<T>(promise: Promise<T>): { promise: Promise<T>; settled: () => boolean } {
  let done = false;
  const tracked = promise.finally(() => {
    done = true;
  });
  tracked.catch(() => undefined);
  return { promise: tracked, settled: () => done };
}

async function withTable(storage: 'opfs' | 'memory'): Promise<Database> {
  const db = await open({ storage });
  await db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT UNIQUE)');
  return db;
}

describe.each(['opfs', 'memory'] as const)('transaction on %s', (storage) => {
  it('commits when the function returns and resolves to its value', async () => {
    const db = await withTable(storage);
    const value = await db.transaction(async (tx) => {
      await tx.run("INSERT INTO t (v) VALUES ('a')");
      await tx.run("INSERT INTO t (v) VALUES ('b')");
      return { done: true, n: 2n ** 60n };
    });
    expect(value).toEqual({ done: true, n: 2n ** 60n });
    expect(await db.all('SELECT v FROM t ORDER BY id')).toEqual([{ v: 'a' }, { v: 'b' }]);
  });

  it('accepts a function that is not async', async () => {
    const db = await withTable(storage);
    expect(await db.transaction(() => 42)).toBe(42);
  });

  it('rolls back when the function throws, and rethrows that same error', async () => {
    const db = await withTable(storage);
    const thrown = new Error('changed my mind');
    const caught = await db
      .transaction(async (tx) => {
        await tx.run("INSERT INTO t (v) VALUES ('a')");
        await tx.exec("INSERT INTO t (v) VALUES ('b'); CREATE TABLE u (x)");
        throw thrown;
      })
      .catch((e: unknown) => e);
    expect(caught).toBe(thrown);
    expect(await count(db, 't')).toBe(0);
    expect(await db.get("SELECT name FROM sqlite_master WHERE name = 'u'")).toBeUndefined();
  });

  it('statements inside see their own uncommitted writes', async () => {
    const db = await withTable(storage);
    await db.transaction(async (tx) => {
      await tx.run("INSERT INTO t (v) VALUES ('a')");
      expect(await tx.get('SELECT v FROM t')).toEqual({ v: 'a' });
      expect(await tx.all('SELECT count(*) AS n FROM t')).toEqual([{ n: 1 }]);
      const [result] = await tx.batch([{ sql: "UPDATE t SET v = 'b'" }]);
      expect(result!.changes).toBe(1);
      expect(await tx.get('SELECT v FROM t')).toEqual({ v: 'b' });
    });
  });

  it('tx methods return the same results as db methods', async () => {
    const db = await withTable(storage);
    const results = await db.transaction(async (tx) => ({
      run: await tx.run('INSERT INTO t (v) VALUES (?)', ['a']),
      get: await tx.get('SELECT id, v FROM t WHERE v = :v', { v: 'a' }),
      none: await tx.get('SELECT id FROM t WHERE v = ?', ['zzz']),
      batch: await tx.batch([{ sql: 'INSERT INTO t (v) VALUES (?)', params: ['b'] }, { sql: 'SELECT v FROM t ORDER BY id' }]),
    }));
    expect(results).toEqual({
      run: { changes: 1, lastInsertRowid: 1 },
      get: { id: 1, v: 'a' },
      none: undefined,
      batch: [
        { rows: [], changes: 1, lastInsertRowid: 2 },
        { rows: [{ v: 'a' }, { v: 'b' }], changes: 0, lastInsertRowid: 2 },
      ],
    });
  });

  it('tx rejects with TRANSACTION_ABORTED once the function has returned', async () => {
    const db = await withTable(storage);
    let kept: Transaction | undefined;
    await db.transaction((tx) => {
      kept = tx;
    });
    const verbs = [
      () => kept!.exec("INSERT INTO t (v) VALUES ('late')"),
      () => kept!.run("INSERT INTO t (v) VALUES ('late')"),
      () => kept!.all('SELECT 1'),
      () => kept!.get('SELECT 1'),
      () => kept!.batch([{ sql: 'SELECT 1' }]),
    ];
    for (const verb of verbs) expect((await failure(verb)).code).toBe('TRANSACTION_ABORTED');
    expect(await count(db, 't')).toBe(0);
  });

  it('tx rejects with TRANSACTION_ABORTED once the function has thrown', async () => {
    const db = await withTable(storage);
    let kept: Transaction | undefined;
    await db
      .transaction((tx) => {
        kept = tx;
        throw new Error('no');
      })
      .catch(() => undefined);
    expect((await failure(() => kept!.run("INSERT INTO t (v) VALUES ('late')"))).code).toBe('TRANSACTION_ABORTED');
    expect(await count(db, 't')).toBe(0);
  });

  it('a db.run issued during a transaction waits for the commit, then succeeds', async () => {
    const db = await withTable(storage);
    const release = gate();
    const started = gate();
    const transaction = db.transaction(async (tx) => {
      await tx.run("INSERT INTO t (v) VALUES ('in tx')");
      started.open();
      await release.opened;
      await tx.run("INSERT INTO t (v) VALUES ('still in tx')");
    });
    await started.opened;
    const waiting = track(db.run("INSERT INTO t (v) VALUES ('outside')"));
    // The status request travels after the write, so the write has reached the writer's queue.
    const status = await db.status();
    expect(status).toMatchObject({ inTransaction: true, queueDepth: 1 });
    expect(waiting.settled()).toBe(false);
    release.open();
    await transaction;
    expect(await waiting.promise).toMatchObject({ changes: 1 });
    expect(await db.all('SELECT v FROM t ORDER BY id')).toEqual([{ v: 'in tx' }, { v: 'still in tx' }, { v: 'outside' }]);
  });

  it('a read issued during a transaction that rolls back never sees its rows', async () => {
    const db = await withTable(storage);
    await db.run("INSERT INTO t (v) VALUES ('committed')");
    const release = gate();
    const started = gate();
    const transaction = db.transaction(async (tx) => {
      await tx.run("INSERT INTO t (v) VALUES ('uncommitted')");
      started.open();
      await release.opened;
      throw new Error('roll back');
    });
    await started.opened;
    const read = track(db.all('SELECT v FROM t ORDER BY id'));
    await db.status();
    expect(read.settled()).toBe(false);
    release.open();
    await transaction.catch(() => undefined);
    expect(await read.promise).toEqual([{ v: 'committed' }]);
  });

  it('transactions of one handle run one after the other', async () => {
    const db = await withTable(storage);
    const events: string[] = [];
    const release = gate();
    const started = gate();
    const first = db.transaction(async (tx) => {
      events.push('first begins');
      started.open();
      await release.opened;
      await tx.run("INSERT INTO t (v) VALUES ('first')");
      events.push('first ends');
    });
    await started.opened;
    const second = db.transaction(async (tx) => {
      events.push('second begins');
      expect(await tx.all('SELECT v FROM t')).toEqual([{ v: 'first' }]);
      await tx.run("INSERT INTO t (v) VALUES ('second')");
    });
    await db.status();
    expect(events).toEqual(['first begins']);
    release.open();
    await Promise.all([first, second]);
    expect(events).toEqual(['first begins', 'first ends', 'second begins']);
    expect(await count(db, 't')).toBe(2);
  });

  it('a constraint error the function catches keeps the transaction usable', async () => {
    const db = await withTable(storage);
    await db.transaction(async (tx) => {
      await tx.run("INSERT INTO t (v) VALUES ('a')");
      expect((await failure(() => tx.run("INSERT INTO t (v) VALUES ('a')"))).code).toBe('SQLITE_CONSTRAINT_UNIQUE');
      await tx.run("INSERT INTO t (v) VALUES ('b')");
    });
    expect(await db.all('SELECT v FROM t ORDER BY id')).toEqual([{ v: 'a' }, { v: 'b' }]);
  });

  it('a failing batch inside a transaction is undone alone', async () => {
    const db = await withTable(storage);
    await db.transaction(async (tx) => {
      await tx.run("INSERT INTO t (v) VALUES ('a')");
      const error = await failure(() => tx.batch([{ sql: "INSERT INTO t (v) VALUES ('b')" }, { sql: "INSERT INTO t (v) VALUES ('a')" }]));
      expect(error.code).toBe('SQLITE_CONSTRAINT_UNIQUE');
      expect(await tx.all('SELECT v FROM t')).toEqual([{ v: 'a' }]);
      await tx.run("INSERT INTO t (v) VALUES ('c')");
    });
    expect(await db.all('SELECT v FROM t ORDER BY id')).toEqual([{ v: 'a' }, { v: 'c' }]);
  });

  it('a failing exec inside a transaction is undone whole, as db.exec is, and the transaction goes on', async () => {
    const db = await withTable(storage);
    await db.transaction(async (tx) => {
      await tx.run("INSERT INTO t (v) VALUES ('a')");
      const error = await failure(() => tx.exec("INSERT INTO t (v) VALUES ('b'); INSERT INTO t (v) VALUES ('a')"));
      expect(error.code).toBe('SQLITE_CONSTRAINT_UNIQUE');
      expect(await tx.all('SELECT v FROM t')).toEqual([{ v: 'a' }]);
      await tx.run("INSERT INTO t (v) VALUES ('c')");
    });
    expect(await db.all('SELECT v FROM t ORDER BY id')).toEqual([{ v: 'a' }, { v: 'c' }]);
  });

  it('an error SQLite ends the transaction with (OR ROLLBACK) aborts it: nothing applies, then the database works', async () => {
    const db = await withTable(storage);
    await db.run("INSERT INTO t (v) VALUES ('before')");
    const error = await failure(() =>
      db.transaction(async (tx) => {
        await tx.run("INSERT INTO t (v) VALUES ('a')");
        const conflict = await failure(() => tx.run("INSERT OR ROLLBACK INTO t (v) VALUES ('a')"));
        expect(conflict.code).toBe('SQLITE_CONSTRAINT_UNIQUE');
      }),
    );
    expect(error.code).toBe('TRANSACTION_ABORTED');
    expect(await db.all('SELECT v FROM t ORDER BY id')).toEqual([{ v: 'before' }]);
    await db.run("INSERT INTO t (v) VALUES ('after')");
    expect(await count(db, 't')).toBe(2);
  });

  it('transaction control statements inside a transaction are refused and the transaction goes on', async () => {
    const db = await withTable(storage);
    await db.transaction(async (tx) => {
      await tx.run("INSERT INTO t (v) VALUES ('a')");
      for (const sql of ['COMMIT', 'END', 'ROLLBACK', 'BEGIN', 'BEGIN IMMEDIATE']) {
        expect((await failure(() => tx.exec(sql))).code).toBe('INVALID_ARGUMENT');
        expect((await failure(() => tx.run(sql))).code).toBe('INVALID_ARGUMENT');
        expect((await failure(() => tx.query(sql))).code).toBe('INVALID_ARGUMENT');
      }
      // Savepoints nest inside the transaction, but not inside exec or batch, which run in the library's own savepoint.
      expect((await failure(() => tx.exec('SAVEPOINT s'))).code).toBe('INVALID_ARGUMENT');
      expect((await failure(() => tx.batch([{ sql: 'SAVEPOINT s' }]))).code).toBe('INVALID_ARGUMENT');
      await tx.run("INSERT INTO t (v) VALUES ('b')");
      expect((await db.status()).inTransaction).toBe(true);
    });
    expect(await db.all('SELECT v FROM t ORDER BY id')).toEqual([{ v: 'a' }, { v: 'b' }]);
  });

  it('argument errors on tx are rejections, and the transaction goes on', async () => {
    const db = await withTable(storage);
    await db.transaction(async (tx) => {
      let pending: Promise<unknown> | undefined;
      expect(() => {
        pending = tx.run('INSERT INTO t (v) VALUES (?)', [undefined as never]);
      }).not.toThrow();
      expect((await failure(() => pending)).code).toBe('INVALID_ARGUMENT');
      await tx.run("INSERT INTO t (v) VALUES ('a')");
    });
    expect(await count(db, 't')).toBe(1);
  });

  it('status reports inTransaction while the function runs, and not after', async () => {
    const db = await withTable(storage);
    await db.transaction(async () => {
      expect((await db.status()).inTransaction).toBe(true);
    });
    expect((await db.status()).inTransaction).toBe(false);
  });

  it('awaiting db (not tx) inside the function fails with LOCK_TIMEOUT instead of hanging', async () => {
    const db = await open({ storage, lockTimeout: 300 });
    await db.exec('CREATE TABLE t (v TEXT)');
    await db.transaction(async (tx) => {
      await tx.run("INSERT INTO t (v) VALUES ('in tx')");
      expect((await failure(() => db.run("INSERT INTO t (v) VALUES ('deadlock')"))).code).toBe('LOCK_TIMEOUT');
    });
    expect(await db.all('SELECT v FROM t')).toEqual([{ v: 'in tx' }]);
  });

  it('rejects INVALID_ARGUMENT when given something other than a function', async () => {
    const db = await withTable(storage);
    expect((await failure(() => db.transaction('BEGIN' as never))).code).toBe('INVALID_ARGUMENT');
    expect(await db.transaction(() => 'still works')).toBe('still works');
  });
});
