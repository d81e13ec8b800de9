/**
 * The statement verbs of a Database (exec, run, all, get, batch), their results and parameters,
 * status, closing, PRAGMA and the statement cache, over both storages.
 */
import { describe, expect, it } from 'vitest';
import { SqliteError } from 'sqlite-baton';
import { count, failure, open, STORAGES } from './support/open.ts';

describe.each(STORAGES)('database on %s', (storage) => {
  describe('exec', () => {
    it('runs several statements separated by semicolons and resolves to undefined', async () => {
      const db = await open({ storage });
      const result = await db.exec(`
        CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT);
        INSERT INTO t (name) VALUES ('a');
        INSERT INTO t (name) VALUES ('b');
      `);
      expect(result).toBeUndefined();
      expect(await db.all('SELECT name FROM t ORDER BY id')).toEqual([{ name: 'a' }, { name: 'b' }]);
    });
  });

  describe('run', () => {
    it('returns changes 1 and the new rowid for an INSERT', async () => {
      const db = await open({ storage });
      await db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)');
      expect(await db.run("INSERT INTO t (name) VALUES ('a')")).toEqual({ changes: 1, lastInsertRowid: 1 });
      expect(await db.run("INSERT INTO t (name) VALUES ('b')")).toEqual({ changes: 1, lastInsertRowid: 2 });
    });

    it('returns the number of rows an UPDATE or a DELETE changed', async () => {
      const db = await open({ storage });
      await db.exec('CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1), (2), (3), (4)');
      expect((await db.run('UPDATE t SET x = x * 10 WHERE x > 1')).changes).toBe(3);
      expect((await db.run('DELETE FROM t WHERE x >= 30')).changes).toBe(2);
    });

    it('reports 0 changes for a statement that changed no row, even right after an INSERT', async () => {
      const db = await open({ storage });
      await db.exec('CREATE TABLE t (x INTEGER)');
      await db.run('INSERT INTO t VALUES (1)');
      expect((await db.run('CREATE TABLE u (y)')).changes).toBe(0);
      expect((await db.run('UPDATE t SET x = 2 WHERE x = 99')).changes).toBe(0);
      expect((await db.run('SELECT * FROM t')).changes).toBe(0);
    });

    it('counts only the rows of the statement itself, not those its triggers changed', async () => {
      const db = await open({ storage });
      await db.exec(`
        CREATE TABLE t (x INTEGER);
        CREATE TABLE audit (x INTEGER);
        CREATE TRIGGER log AFTER INSERT ON t BEGIN INSERT INTO audit VALUES (new.x); INSERT INTO audit VALUES (new.x); END;
      `);
      expect((await db.run('INSERT INTO t VALUES (1)')).changes).toBe(1);
      expect(await count(db, 'audit')).toBe(2);
    });

    it('returns lastInsertRowid as a number up to 2^53 and as a bigint beyond', async () => {
      const db = await open({ storage });
      await db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY)');
      const safe = await db.run('INSERT INTO t (id) VALUES (?)', [Number.MAX_SAFE_INTEGER]);
      expect(safe.lastInsertRowid).toBe(Number.MAX_SAFE_INTEGER);
      const beyond = await db.run('INSERT INTO t (id) VALUES (?)', [2n ** 53n + 1n]);
      expect(beyond.lastInsertRowid).toBe(2n ** 53n + 1n);
      const max = await db.run('INSERT INTO t (id) VALUES (?)', [2n ** 63n - 1n]);
      expect(max.lastInsertRowid).toBe(2n ** 63n - 1n);
    });
  });

  describe('all and get', () => {
    it('all returns every row as an object keyed by column name or alias', async () => {
      const db = await open({ storage });
      await db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO t (name) VALUES ('a'), ('b')");
      expect(await db.all('SELECT id, name AS label, id * 2 AS twice FROM t ORDER BY id')).toEqual([
        { id: 1, label: 'a', twice: 2 },
        { id: 2, label: 'b', twice: 4 },
      ]);
    });

    it('all returns an empty array when no row matches', async () => {
      const db = await open({ storage });
      await db.exec('CREATE TABLE t (x)');
      expect(await db.all('SELECT * FROM t')).toEqual([]);
    });

    it('get returns the first row', async () => {
      const db = await open({ storage });
      await db.exec('CREATE TABLE t (x); INSERT INTO t VALUES (3), (1), (2)');
      expect(await db.get('SELECT x FROM t ORDER BY x')).toEqual({ x: 1 });
    });

    it('get returns undefined when no row matches', async () => {
      const db = await open({ storage });
      await db.exec('CREATE TABLE t (x)');
      expect(await db.get('SELECT x FROM t')).toBeUndefined();
    });

    it('get of an UPDATE ... RETURNING returns one row and updates every matching row', async () => {
      const db = await open({ storage });
      await db.exec('CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1), (2), (3)');
      expect(await db.get('UPDATE t SET x = x * 10 RETURNING x')).toEqual({ x: expect.any(Number) });
      expect(await db.all('SELECT x FROM t ORDER BY x')).toEqual([{ x: 10 }, { x: 20 }, { x: 30 }]);
    });

    it('get of an INSERT ... RETURNING returns the row and applies the insert', async () => {
      const db = await open({ storage });
      await db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)');
      expect(await db.get("INSERT INTO t (name) VALUES ('a') RETURNING id, name")).toEqual({ id: 1, name: 'a' });
      expect(await db.all('SELECT * FROM t')).toEqual([{ id: 1, name: 'a' }]);
    });
  });

  describe('order', () => {
    it('calls made without awaiting run in the order they were made: each read sees the writes before it, none after', async () => {
      const db = await open({ storage });
      await db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY)');
      const count = () => db.get<{ n: number }>('SELECT count(*) AS n FROM t').then((row) => row!.n);
      const calls: Array<Promise<unknown>> = [];
      for (let i = 0; i < 20; i++) calls.push(count(), db.run('INSERT INTO t DEFAULT VALUES'));
      calls.push(count());
      const settled = await Promise.all(calls);
      expect(settled.filter((_, i) => i % 2 === 0)).toEqual(Array.from({ length: 21 }, (_, i) => i));
    });
  });

  describe('parameters', () => {
    it('binds positional parameters (?) in order', async () => {
      const db = await open({ storage });
      expect(await db.get('SELECT ? AS a, ? AS b, ? AS c', [1, 'two', null])).toEqual({ a: 1, b: 'two', c: null });
    });

    it('binds numbered parameters (?NNN) by their number', async () => {
      const db = await open({ storage });
      expect(await db.get('SELECT ?2 AS a, ?1 AS b, ?2 AS c', ['x', 'y'])).toEqual({ a: 'y', b: 'x', c: 'y' });
    });

    it.each([':', '@', '$'])('binds named parameters %sname from keys given with or without the prefix', async (prefix) => {
      const db = await open({ storage });
      const sql = `SELECT ${prefix}a AS a, ${prefix}b AS b`;
      expect(await db.get(sql, { a: 1, b: 'x' })).toEqual({ a: 1, b: 'x' });
      expect(await db.get(sql, { [`${prefix}a`]: 2, [`${prefix}b`]: 'y' })).toEqual({ a: 2, b: 'y' });
    });

    it('binds a named parameter used twice from one key', async () => {
      const db = await open({ storage });
      expect(await db.get('SELECT :v AS a, :v + 1 AS b', { v: 41 })).toEqual({ a: 41, b: 42 });
    });

    it('writes with named parameters', async () => {
      const db = await open({ storage });
      await db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)');
      await db.run('INSERT INTO t (id, name) VALUES (@id, $name)', { id: 7, $name: 'seven' });
      expect(await db.all('SELECT * FROM t')).toEqual([{ id: 7, name: 'seven' }]);
    });
  });

  describe('batch', () => {
    it('returns rows, changes and lastInsertRowid for each statement, in order', async () => {
      const db = await open({ storage });
      await db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)');
      const results = await db.batch([
        { sql: 'INSERT INTO t (name) VALUES (?)', params: ['a'] },
        { sql: 'INSERT INTO t (name) VALUES (:name)', params: { name: 'b' } },
        { sql: 'SELECT name FROM t ORDER BY id' },
        { sql: 'UPDATE t SET name = upper(name)' },
      ]);
      expect(results).toEqual([
        { rows: [], changes: 1, lastInsertRowid: 1 },
        { rows: [], changes: 1, lastInsertRowid: 2 },
        { rows: [{ name: 'a' }, { name: 'b' }], changes: 0, lastInsertRowid: 2 },
        { rows: [], changes: 2, lastInsertRowid: 2 },
      ]);
    });

    it('is atomic: a failing statement undoes the ones before it and rejects with its SQLite code', async () => {
      const db = await open({ storage });
      await db.exec('CREATE TABLE t (x INTEGER UNIQUE); INSERT INTO t VALUES (1)');
      const error = await failure(() =>
        db.batch([{ sql: 'INSERT INTO t VALUES (2)' }, { sql: 'INSERT INTO t VALUES (1)' }, { sql: 'INSERT INTO t VALUES (3)' }]),
      );
      expect(error.code).toBe('SQLITE_CONSTRAINT_UNIQUE');
      expect(await db.all('SELECT x FROM t')).toEqual([{ x: 1 }]);
    });

    it('resolves to an empty array for no statements', async () => {
      const db = await open({ storage });
      expect(await db.batch([])).toEqual([]);
    });
  });

  describe('writes issued together', () => {
    it('all apply, each with its own result', async () => {
      const db = await open({ storage });
      await db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER)');
      const results = await Promise.all(Array.from({ length: 50 }, (_, n) => db.run('INSERT INTO t (n) VALUES (?)', [n])));
      expect(results.map((r) => r.changes)).toEqual(Array(50).fill(1));
      expect(new Set(results.map((r) => r.lastInsertRowid)).size).toBe(50);
      expect(await count(db, 't')).toBe(50);
    });

    it('a failing one fails alone: only its caller sees the error, the others apply', async () => {
      const db = await open({ storage });
      await db.exec('CREATE TABLE t (x INTEGER UNIQUE)');
      const calls = [1, 2, 2, 3].map((x) => db.run('INSERT INTO t VALUES (?)', [x]));
      const outcomes = await Promise.allSettled(calls);
      expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
      expect(((outcomes[2] as PromiseRejectedResult).reason as SqliteError).code).toBe('SQLITE_CONSTRAINT_UNIQUE');
      expect(await db.all('SELECT x FROM t ORDER BY x')).toEqual([{ x: 1 }, { x: 2 }, { x: 3 }]);
    });
  });

  describe('deferred foreign keys', () => {
    it('a write that leaves a deferred foreign key broken fails alone, among writes issued together', async () => {
      const db = await open({ storage });
      await db.exec('PRAGMA foreign_keys = ON');
      await db.exec(`
        CREATE TABLE parent (id INTEGER PRIMARY KEY);
        CREATE TABLE child (pid INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED);
        INSERT INTO parent VALUES (1);
      `);
      const calls = [1, 99, 1].map((pid) => db.run('INSERT INTO child VALUES (?)', [pid]));
      const outcomes = await Promise.allSettled(calls);
      expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect(((outcomes[1] as PromiseRejectedResult).reason as SqliteError).code).toBe('SQLITE_CONSTRAINT_FOREIGNKEY');
      expect(await db.all('SELECT pid FROM child')).toEqual([{ pid: 1 }, { pid: 1 }]);
    });

    it('a batch may break a deferred foreign key and mend it before it ends', async () => {
      const db = await open({ storage });
      await db.exec('PRAGMA foreign_keys = ON');
      await db.exec(`
        CREATE TABLE parent (id INTEGER PRIMARY KEY);
        CREATE TABLE child (pid INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED);
      `);
      await db.batch([{ sql: 'INSERT INTO child VALUES (5)' }, { sql: 'INSERT INTO parent VALUES (5)' }]);
      expect(await db.all('SELECT pid FROM child')).toEqual([{ pid: 5 }]);
    });

    it('a transaction that leaves a deferred foreign key broken fails to commit and applies nothing', async () => {
      const db = await open({ storage });
      await db.exec('PRAGMA foreign_keys = ON');
      await db.exec(`
        CREATE TABLE parent (id INTEGER PRIMARY KEY);
        CREATE TABLE child (pid INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED);
      `);
      const error = await failure(() => db.transaction((tx) => tx.run('INSERT INTO child VALUES (7)')));
      expect(error.code).toBe('SQLITE_CONSTRAINT_FOREIGNKEY');
      expect(await count(db, 'child')).toBe(0);
      await db.run('INSERT INTO parent VALUES (7)');
      await db.run('INSERT INTO child VALUES (7)');
      expect(await count(db, 'child')).toBe(1);
    });
  });

  describe('PRAGMA', () => {
    it('PRAGMA foreign_keys = ON through exec takes effect', async () => {
      const db = await open({ storage });
      await db.exec('PRAGMA foreign_keys = ON');
      expect(await db.get('PRAGMA foreign_keys')).toEqual({ foreign_keys: 1 });
      await db.exec('CREATE TABLE parent (id INTEGER PRIMARY KEY); CREATE TABLE child (pid INTEGER REFERENCES parent (id))');
      const error = await failure(() => db.run('INSERT INTO child VALUES (42)'));
      expect(error.code).toBe('SQLITE_CONSTRAINT_FOREIGNKEY');
      expect(await count(db, 'child')).toBe(0);
    });

    it('PRAGMA user_version through run is written and read back', async () => {
      const db = await open({ storage });
      await db.run('PRAGMA user_version = 7');
      expect(await db.get('PRAGMA user_version')).toEqual({ user_version: 7 });
    });

    it('VACUUM through exec runs and keeps every row', async () => {
      const db = await open({ storage });
      await db.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1), (2); DELETE FROM t WHERE x = 1');
      await db.exec('VACUUM');
      await db.run('VACUUM');
      expect(await db.all('SELECT x FROM t')).toEqual([{ x: 2 }]);
      await db.run('INSERT INTO t VALUES (3)');
      expect(await count(db, 't')).toBe(2);
    });

    it('VACUUM INTO another file is refused like ATTACH', async () => {
      const db = await open({ storage });
      const error = await failure(() => db.exec("VACUUM INTO 'copy.db'"));
      expect(error.code).toBe('SQLITE_AUTH');
    });

    it('PRAGMA table_info returns one row per column', async () => {
      const db = await open({ storage });
      await db.exec('CREATE TABLE t (a INTEGER, b TEXT)');
      const columns = await db.all<{ name: string; type: string }>('PRAGMA table_info(t)');
      expect(columns.map((c) => [c.name, c.type])).toEqual([
        ['a', 'INTEGER'],
        ['b', 'TEXT'],
      ]);
    });
  });

  describe('statement cache', () => {
    it('runs the same SQL 1000 times with different parameters', async () => {
      const db = await open({ storage });
      await db.exec('CREATE TABLE t (n INTEGER)');
      await Promise.all(Array.from({ length: 1000 }, (_, n) => db.run('INSERT INTO t (n) VALUES (?)', [n])));
      expect(await db.get('SELECT count(*) AS c, sum(n) AS s FROM t')).toEqual({ c: 1000, s: (999 * 1000) / 2 });
    });

    it('SELECT * returns a column added by ALTER TABLE after the statement was cached', async () => {
      const db = await open({ storage });
      await db.exec('CREATE TABLE t (a); INSERT INTO t VALUES (1)');
      expect(await db.all('SELECT * FROM t')).toEqual([{ a: 1 }]);
      await db.exec("ALTER TABLE t ADD COLUMN b DEFAULT 'new'");
      expect(await db.all('SELECT * FROM t')).toEqual([{ a: 1, b: 'new' }]);
      expect(await db.get('SELECT * FROM t')).toEqual({ a: 1, b: 'new' });
    });

    it('still runs a statement after more distinct statements than the cache holds', async () => {
      const db = await open({ storage });
      expect(await db.get('SELECT ? AS first', [0])).toEqual({ first: 0 });
      for (let i = 1; i <= 300; i++) await db.get(`SELECT ? AS n${i}`, [i]);
      expect(await db.get('SELECT ? AS first', [1])).toEqual({ first: 1 });
    });
  });

  describe('status', () => {
    it('reports this tab as the leader, the storage and an idle writer', async () => {
      const db = await open({ storage });
      const status = await db.status();
      expect(status).toMatchObject({ role: 'leader', storage, queueDepth: 0, inTransaction: false });
      expect(status.leaderId).toBe(status.tabId);
      expect(status.epoch).toBeGreaterThanOrEqual(1);
    });

    it('counts commits and the writes they carried: calls sent together share commits', async () => {
      const db = await open({ storage });
      await db.exec('CREATE TABLE t (n INTEGER)');
      const before = await db.status();
      await Promise.all(Array.from({ length: 50 }, (_, n) => db.run('INSERT INTO t (n) VALUES (?)', [n])));
      await db.transaction(async (tx) => {
        await tx.run('INSERT INTO t (n) VALUES (50)');
      });
      const after = await db.status();
      expect(after.committedWrites - before.committedWrites).toBe(51);
      expect(after.commits - before.commits).toBeGreaterThanOrEqual(2);
      expect(after.commits - before.commits).toBeLessThan(51);
    });

    it('reports the storage on the handle', async () => {
      const db = await open({ storage });
      expect(db.storage).toBe(storage);
    });
  });

  describe('closing', () => {
    it('Symbol.asyncDispose closes the database', async () => {
      const db = await open({ storage });
      await db[Symbol.asyncDispose]();
      expect((await failure(() => db.get('SELECT 1'))).code).toBe('DATABASE_CLOSED');
    });

    it('await using closes the database at the end of the block', async () => {
      const outer = await open({ storage });
      {
        await using db = outer;
        expect(await db.get('SELECT 1 AS one')).toEqual({ one: 1 });
      }
      expect((await failure(() => outer.get('SELECT 1'))).code).toBe('DATABASE_CLOSED');
    });

    it('close() twice resolves both times', async () => {
      const db = await open({ storage });
      await db.close();
      await expect(db.close()).resolves.toBeUndefined();
    });
  });
});
