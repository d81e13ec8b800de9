import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, SqliteError, type Database } from 'sqlite-baton';

const opened: Database[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((db) => db.close()));
});

function unique(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

async function open(storage: 'opfs' | 'memory', name = unique('db')): Promise<Database> {
  const db = await openDatabase(name, { storage });
  opened.push(db);
  return db;
}

describe.each(['opfs', 'memory'] as const)('database on %s', (storage) => {
  it('reports the storage really in use', async () => {
    const db = await open(storage);
    expect(db.storage).toBe(storage);
    expect((await db.status()).storage).toBe(storage);
  });

  it('runs, reads and returns changes and rowids', async () => {
    const db = await open(storage);
    await db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)');
    const r = await db.run('INSERT INTO t (name) VALUES (?)', ['a']);
    expect(r).toEqual({ changes: 1, lastInsertRowid: 1 });
    await db.run('INSERT INTO t (name) VALUES (:name)', { name: 'b' });
    expect(await db.all('SELECT * FROM t ORDER BY id')).toEqual([
      { id: 1, name: 'a' },
      { id: 2, name: 'b' },
    ]);
    expect(await db.get('SELECT name FROM t WHERE id = ?', [2])).toEqual({ name: 'b' });
  });

  it('keeps the error code across the worker boundary', async () => {
    const db = await open(storage);
    await db.exec('CREATE TABLE u (x INTEGER UNIQUE)');
    await db.run('INSERT INTO u VALUES (1)');
    const error = await db.run('INSERT INTO u VALUES (1)').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SqliteError);
    expect((error as SqliteError).code).toBe('SQLITE_CONSTRAINT_UNIQUE');
    expect((error as SqliteError).message).toContain('UNIQUE constraint failed: u.x');
    expect(await db.get('SELECT count(*) AS n FROM u')).toEqual({ n: 1 });
  });
});
