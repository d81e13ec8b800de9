/**
 * Statements behave as SQLite documents them, whatever the library runs around them (its request
 * record, its savepoints, the hop between workers). Each case runs the same SQL on raw sqlite-wasm
 * (one in-memory connection in this page) and through sqlite-baton, from the leader's handle and
 * from a follower's, and compares what comes back. Each case is one defect a held-out
 * differential test found (issue 17, point 5).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sqlite3InitModule, { type Database as RawDatabase } from '@sqlite.org/sqlite-wasm';
import { openDatabase, SqliteError, type Database } from 'sqlite-baton';
import { failure } from './support/open.ts';
import { uniqueName } from './support/unique-name.ts';

let raw: RawDatabase;
let leader: Database;
let follower: Database;

beforeAll(async () => {
  // The reference instance's oo1 logs every failed step; the failures are what the tests compare.
  const quiet = () => undefined;
  (globalThis as { sqlite3ApiConfig?: unknown }).sqlite3ApiConfig = { log: quiet, warn: quiet, error: quiet, debug: quiet };
  const sqlite3 = await sqlite3InitModule();
  raw = new sqlite3.oo1.DB(':memory:');
  const name = uniqueName('parity');
  leader = await openDatabase(name, { storage: 'opfs' });
  follower = await openDatabase(name, { storage: 'opfs' });
});

afterAll(async () => {
  raw.close();
  await follower.close();
  await leader.close();
});

/** Rows as raw sqlite-wasm returns them, as plain objects with own keys (oo1 fills `{}` too, so build them here). */
function rawRows(sql: string, bind?: unknown[]): Array<Record<string, unknown>> {
  const stmt = raw.prepare(sql);
  try {
    if (bind) stmt.bind(bind as never);
    const rows: Array<Record<string, unknown>> = [];
    while (stmt.step()) {
      const row: Record<string, unknown> = {};
      for (let i = 0; i < stmt.columnCount; i++)
        Object.defineProperty(row, stmt.getColumnName(i), { value: stmt.get(i), enumerable: true });
      rows.push(row);
    }
    return rows;
  } finally {
    stmt.finalize();
  }
}

/** A table name unique to the case, created on both sides with the same SQL. */
async function both(db: Database, ddl: (table: string) => string): Promise<string> {
  const table = uniqueName('t').replace(/-/g, '_');
  raw.exec(ddl(table));
  await db.exec(ddl(table));
  return table;
}

const handles = [
  ['the leader', () => leader],
  ['a follower', () => follower],
] as const;

describe.each(handles)('from %s', (_, handle) => {
  it('a text value and a column name that begin with U+FEFF keep it', async () => {
    // sqlite-wasm's own getters drop the character too, so SQLite itself is asked what it holds.
    const sql = `SELECT char(65279) || 'x' AS v, 1 AS "\uFEFFname"`;
    expect(rawRows(`SELECT unicode(char(65279) || 'x') AS u, length(char(65279) || 'x') AS n`)).toEqual([{ u: 0xfeff, n: 2 }]);
    const expected = [{ v: '\uFEFFx', '\uFEFFname': 1 }];
    expect(await handle().all(sql)).toEqual(expected);
    expect((await handle().batch([{ sql }]))[0]!.rows).toEqual(expected);
    const table = await both(handle(), (t) => `CREATE TABLE ${t} (v TEXT)`);
    const { lastInsertRowid } = await handle().run(`INSERT INTO ${table} (v) VALUES (?)`, ['\uFEFF']);
    expect(await handle().get(`SELECT v, length(v) AS n FROM ${table} WHERE rowid = ?`, [lastInsertRowid])).toEqual({ v: '\uFEFF', n: 1 });
  });

  it('a column named __proto__ is an own key of the row, for any value, through all, get and batch', async () => {
    const sql = `SELECT x'0102' AS "__proto__", 5 AS after`;
    const rows = await handle().all(sql);
    expect(Object.keys(rows[0]!)).toEqual(['__proto__', 'after']);
    expect(Object.getPrototypeOf(rows[0])).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(rows[0], '__proto__')?.value).toEqual(new Uint8Array([1, 2]));
    const got = await handle().get(`SELECT 'text' AS "__proto__"`);
    expect(Object.getOwnPropertyDescriptor(got, '__proto__')?.value).toBe('text');
    // A write's reply goes through the request record too.
    const table = await both(handle(), (t) => `CREATE TABLE ${t} (b BLOB)`);
    const [result] = await handle().batch([{ sql: `INSERT INTO ${table} (b) VALUES (x'03') RETURNING b AS "__proto__"` }]);
    expect(Object.getOwnPropertyDescriptor(result!.rows[0], '__proto__')?.value).toEqual(new Uint8Array([3]));
  });

  it("SQL changes() and total_changes() count the user's statements, not the library's record", async () => {
    const table = await both(handle(), (t) => `CREATE TABLE ${t} (x INTEGER)`);
    const steps = [
      `INSERT INTO ${table} (x) VALUES (1), (2), (3)`,
      `UPDATE ${table} SET x = x + 10 WHERE x > 100`,
      `DELETE FROM ${table} WHERE x = 2`,
    ];
    const rawTotal = rawRows('SELECT total_changes() AS n')[0]!.n as number;
    const batonTotal = (await handle().get<{ n: number }>('SELECT total_changes() AS n'))!.n;
    for (const step of steps) {
      raw.exec(step);
      await handle().run(step);
      expect({ step, changes: await handle().get('SELECT changes() AS n') }).toEqual({
        step,
        changes: rawRows('SELECT changes() AS n')[0],
      });
    }
    const rawDelta = (rawRows('SELECT total_changes() AS n')[0]!.n as number) - rawTotal;
    const batonDelta = (await handle().get<{ n: number }>('SELECT total_changes() AS n'))!.n - batonTotal;
    expect(batonDelta).toBe(rawDelta);
  });

  it('exec refuses SQL with a NUL character, as run and all do, and applies none of it', async () => {
    const table = uniqueName('nul').replace(/-/g, '_');
    const sql = `CREATE TABLE ${table} (x);\u0000INSERT INTO ${table} VALUES (1)`;
    expect((await failure(() => handle().exec(sql))).code).toBe('INVALID_ARGUMENT');
    expect((await failure(() => handle().run(sql))).code).toBe('INVALID_ARGUMENT');
    expect(await handle().get(`SELECT name FROM sqlite_master WHERE name = ?`, [table])).toBeUndefined();
  });

  it('INSERT OR FAIL outside a transaction keeps the rows before the failing one, with the same changes()', async () => {
    const table = await both(handle(), (t) => `CREATE TABLE ${t} (x UNIQUE); INSERT INTO ${t} VALUES (3)`);
    const sql = `INSERT OR FAIL INTO ${table} (x) VALUES (1), (2), (3), (4)`;
    let rawCode: number | undefined;
    try {
      raw.exec(sql);
    } catch (e) {
      rawCode = (e as { resultCode?: number }).resultCode;
    }
    expect(rawCode).toBeDefined();
    const rawAfter = { rows: rawRows(`SELECT x FROM ${table} ORDER BY x`), changes: rawRows('SELECT changes() AS n')[0] };
    expect(rawAfter.rows).toEqual([{ x: 1 }, { x: 2 }, { x: 3 }]);

    const error = await failure(() => handle().run(sql));
    expect(error).toBeInstanceOf(SqliteError);
    expect(error.resultCode).toBe(rawCode);
    expect({ rows: await handle().all(`SELECT x FROM ${table} ORDER BY x`), changes: await handle().get('SELECT changes() AS n') }).toEqual(
      rawAfter,
    );
  });

  it('UPDATE OR FAIL outside a transaction keeps the rows it updated before the failing one', async () => {
    const table = await both(
      handle(),
      (t) => `CREATE TABLE ${t} (id INTEGER PRIMARY KEY, x UNIQUE); INSERT INTO ${t} VALUES (1, 1), (2, 2), (3, 30)`,
    );
    // In rowid order: row 1 takes 5, then row 2 collides with row 3's 30 and the statement stops.
    const sql = `UPDATE OR FAIL ${table} SET x = CASE id WHEN 1 THEN 5 WHEN 2 THEN 30 ELSE 40 END`;
    expect(() => raw.exec(sql)).toThrow();
    const expected = rawRows(`SELECT id, x FROM ${table} ORDER BY id`);
    expect(expected).toEqual([
      { id: 1, x: 5 },
      { id: 2, x: 2 },
      { id: 3, x: 30 },
    ]);
    expect((await failure(() => handle().run(sql))).code).toBe('SQLITE_CONSTRAINT_UNIQUE');
    expect(await handle().all(`SELECT id, x FROM ${table} ORDER BY id`)).toEqual(expected);
  });
});
