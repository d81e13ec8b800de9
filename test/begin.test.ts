/**
 * Handle-based transactions (`db.begin()`): commit and rollback, what repeating them does, a
 * transaction SQLite ends itself, and a `db` call made by the transaction's own code.
 */
import { describe, expect, it } from 'vitest';
import type { Database } from 'sqlite-baton';
import { count, failure, open } from './support/open.ts';

async function withTable(storage: 'opfs' | 'memory', lockTimeout?: number): Promise<Database> {
  const db = await open(lockTimeout ? { storage, lockTimeout } : { storage });
  await db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT UNIQUE)');
  return db;
}

describe.each(['opfs', 'memory'] as const)('db.begin on %s', (storage) => {
  it('commit applies every statement; until then the transaction holds the writer', async () => {
    const db = await withTable(storage);
    const tx = await db.begin();
    await tx.run("INSERT INTO t (v) VALUES ('a')");
    await tx.query("INSERT INTO t (v) VALUES ('b')");
    expect((await db.status()).inTransaction).toBe(true);
    expect(tx.active).toBe(true);
    await tx.commit();
    expect(tx.active).toBe(false);
    expect((await db.status()).inTransaction).toBe(false);
    expect(await db.all('SELECT v FROM t ORDER BY id')).toEqual([{ v: 'a' }, { v: 'b' }]);
  });

  it('rollback applies nothing', async () => {
    const db = await withTable(storage);
    const tx = await db.begin();
    await tx.run("INSERT INTO t (v) VALUES ('a')");
    await tx.rollback();
    expect(await count(db, 't')).toBe(0);
  });

  it('ending twice: commit resolves again, rollback after commit is refused, and the reverse', async () => {
    const db = await withTable(storage);
    const committed = await db.begin();
    await committed.run("INSERT INTO t (v) VALUES ('kept')");
    const [first, second] = await Promise.allSettled([committed.commit(), committed.commit()]);
    expect(first.status).toBe('fulfilled');
    expect(second.status).toBe('fulfilled');
    await committed.commit();
    expect((await failure(() => committed.rollback())).code).toBe('INVALID_ARGUMENT');
    expect((await failure(() => committed.run("INSERT INTO t (v) VALUES ('late')"))).code).toBe('TRANSACTION_ABORTED');

    const rolledBack = await db.begin();
    await rolledBack.run("INSERT INTO t (v) VALUES ('dropped')");
    await rolledBack.rollback();
    await rolledBack.rollback();
    expect((await failure(() => rolledBack.commit())).code).toBe('TRANSACTION_ABORTED');
    expect(await db.all('SELECT v FROM t')).toEqual([{ v: 'kept' }]);
  });

  it('a COMMIT that fails (a deferred foreign key) rejects, applies nothing, and rollback() after it resolves', async () => {
    const db = await open({ storage });
    await db.exec('PRAGMA foreign_keys = ON');
    await db.exec(
      'CREATE TABLE parent (id INTEGER PRIMARY KEY); CREATE TABLE child (p INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED)',
    );
    const tx = await db.begin();
    await tx.run('INSERT INTO child VALUES (42)');
    expect((await failure(() => tx.commit())).code).toBe('SQLITE_CONSTRAINT_FOREIGNKEY');
    await tx.rollback();
    expect(await count(db, 'child')).toBe(0);
    expect((await db.status()).inTransaction).toBe(false);
  });

  it('a transaction SQLite ends itself (OR ROLLBACK) stops the handle: commit rejects TRANSACTION_ABORTED', async () => {
    const db = await withTable(storage);
    const tx = await db.begin();
    await tx.run("INSERT INTO t (v) VALUES ('a')");
    expect((await failure(() => tx.run("INSERT OR ROLLBACK INTO t (v) VALUES ('a')"))).code).toBe('SQLITE_CONSTRAINT_UNIQUE');
    expect((await failure(() => tx.run("INSERT INTO t (v) VALUES ('b')"))).code).toBe('TRANSACTION_ABORTED');
    expect(tx.active).toBe(false);
    expect((await failure(() => tx.commit())).code).toBe('TRANSACTION_ABORTED');
    await tx.rollback();
    await db.run("INSERT INTO t (v) VALUES ('after')");
    expect(await db.all('SELECT v FROM t')).toEqual([{ v: 'after' }]);
  });

  it('a db call while the handle is open waits for the commit, then runs', async () => {
    const db = await withTable(storage);
    const tx = await db.begin();
    await tx.run("INSERT INTO t (v) VALUES ('first')");
    const waiting = db.run("INSERT INTO t (v) VALUES ('second')");
    await db.status();
    await tx.commit();
    await waiting;
    expect(await db.all('SELECT v FROM t ORDER BY id')).toEqual([{ v: 'first' }, { v: 'second' }]);
  });
});

describe('a db call that can only wait for this tab’s own transaction', () => {
  it('made by the transaction function itself fails at once with TRANSACTION_DEADLOCK, and the transaction rolls back', async () => {
    // A minute of lockTimeout: only failing fast lets this test finish within its own timeout.
    const db = await withTable('memory', 60_000);
    const error = await failure(() =>
      db.transaction(async (tx) => {
        await db.run("INSERT INTO t (v) VALUES ('through db')");
        await tx.run("INSERT INTO t (v) VALUES ('through tx')");
      }),
    );
    expect(error.code).toBe('TRANSACTION_DEADLOCK');
    expect(error.message).toMatch(/use tx/);
    expect(await count(db, 't')).toBe(0);
  });

  it('a nested db.transaction or db.begin inside the function fails the same way; caught, the transaction goes on', async () => {
    const db = await withTable('memory', 60_000);
    await db.transaction(async (tx) => {
      // Both made before the function's first await: on its own stack.
      const nested = [failure(() => db.transaction(() => undefined)), failure(() => db.begin())];
      for (const error of await Promise.all(nested)) expect(error.code).toBe('TRANSACTION_DEADLOCK');
      await tx.run("INSERT INTO t (v) VALUES ('kept')");
    });
    expect(await count(db, 't')).toBe(1);
  });

  it('inside tx.savepoint(fn) too', async () => {
    const db = await withTable('memory', 60_000);
    await db.transaction(async (tx) => {
      const error = await failure(() => tx.savepoint(() => db.get('SELECT 1')));
      expect(error.code).toBe('TRANSACTION_DEADLOCK');
    });
  });

  it('made later in the function, it waits and then says LOCK_TIMEOUT naming this tab’s transaction and tx', async () => {
    const db = await withTable('memory', 300);
    await db.transaction(async (tx) => {
      await tx.run("INSERT INTO t (v) VALUES ('in tx')");
      const error = await failure(() => db.all('SELECT * FROM t'));
      expect(error.code).toBe('LOCK_TIMEOUT');
      expect(error.message).toMatch(/this tab's own open transaction/);
      expect(error.message).toMatch(/use tx/);
    });
  });

  it('with a begin() handle, the timeout says the same', async () => {
    const db = await withTable('memory', 300);
    const tx = await db.begin();
    const error = await failure(() => db.run("INSERT INTO t (v) VALUES ('x')"));
    expect(error.code).toBe('LOCK_TIMEOUT');
    expect(error.message).toMatch(/this tab's own open transaction/);
    await tx.commit();
  });

  it('a call waiting for another tab’s transaction keeps the plain LOCK_TIMEOUT message', async () => {
    const name = `other-${Date.now().toString(36)}`;
    const holder = await open({ storage: 'opfs' }, name);
    const waiter = await open({ storage: 'opfs', lockTimeout: 300 }, name);
    await holder.exec('CREATE TABLE t (v)');
    const tx = await holder.begin();
    const error = await failure(() => waiter.run('INSERT INTO t VALUES (1)'));
    expect(error.code).toBe('LOCK_TIMEOUT');
    expect(error.message).not.toMatch(/own open transaction/);
    await tx.rollback();
  });
});
