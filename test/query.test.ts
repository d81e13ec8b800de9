/**
 * `db.query`: everything about one statement from one call (columns in order with duplicates
 * kept, rows as arrays or objects, changes, lastInsertRowid), and `batch` with a rowMode.
 */
import { describe, expect, it } from 'vitest';
import type { Database } from 'sqlite-baton';
import { failure, open } from './support/open.ts';

async function people(storage: 'opfs' | 'memory'): Promise<Database> {
  const db = await open({ storage });
  await db.exec(`
    CREATE TABLE person (id INTEGER PRIMARY KEY, name TEXT);
    CREATE TABLE pet (id INTEGER PRIMARY KEY, owner INTEGER, name TEXT);
    INSERT INTO person VALUES (1, 'Ada'), (2, 'Bob');
    INSERT INTO pet VALUES (10, 1, 'Rex'), (11, 2, 'Tom'), (12, 2, 'Kit');
  `);
  return db;
}

const JOIN = 'SELECT person.id, person.name, pet.id, pet.name FROM person JOIN pet ON pet.owner = person.id ORDER BY pet.id';

describe.each(['opfs', 'memory'] as const)('query on %s', (storage) => {
  it('keeps columns that share a name apart: names in order, rows as arrays by position', async () => {
    const db = await people(storage);
    const result = await db.query(JOIN);
    expect(result.columns).toEqual(['id', 'name', 'id', 'name']);
    expect(result.rows).toEqual([
      [1, 'Ada', 10, 'Rex'],
      [2, 'Bob', 11, 'Tom'],
      [2, 'Bob', 12, 'Kit'],
    ]);
    expect(result.changes).toBe(0);
    // The object form of the same join loses a column per duplicate name, which is why arrays are the default.
    expect(await db.all(JOIN)).toEqual([
      { id: 10, name: 'Rex' },
      { id: 11, name: 'Tom' },
      { id: 12, name: 'Kit' },
    ]);
  });

  it("rowMode 'object' gives the rows all() gives, with the columns", async () => {
    const db = await people(storage);
    const sql = 'SELECT id, name FROM person WHERE id > ? ORDER BY id';
    const result = await db.query<{ id: number; name: string }>(sql, [0], { rowMode: 'object' });
    expect(result.rows).toEqual(await db.all(sql, [0]));
    expect(result.columns).toEqual(['id', 'name']);
  });

  it('answers a write with its RETURNING rows, changes and lastInsertRowid in one call', async () => {
    const db = await people(storage);
    const result = await db.query('INSERT INTO person (name) VALUES (?), (?) RETURNING id, name', ['Cy', 'Di']);
    expect(result).toEqual({
      columns: ['id', 'name'],
      rows: [
        [3, 'Cy'],
        [4, 'Di'],
      ],
      changes: 2,
      lastInsertRowid: 4,
    });
    const update = await db.query("UPDATE person SET name = upper(name) WHERE name LIKE '%y'");
    expect(update).toEqual({ columns: [], rows: [], changes: 1, lastInsertRowid: 4 });
  });

  it('gives the columns of a statement that returned no row', async () => {
    const db = await people(storage);
    expect(await db.query('SELECT id AS a, name AS b FROM person WHERE 0')).toEqual({
      columns: ['a', 'b'],
      rows: [],
      changes: 0,
      // The connection's last insert (the fixture's), as sqlite3_last_insert_rowid says.
      lastInsertRowid: 12,
    });
  });

  it('carries every kind of value in array rows', async () => {
    const db = await open({ storage });
    const { rows } = await db.query('SELECT ?, ?, ?, ?, ?, ?', [null, 1.5, 2n ** 60n, 'text', new Uint8Array([1, 2, 3]), true]);
    expect(rows).toEqual([[null, 1.5, 2n ** 60n, 'text', new Uint8Array([1, 2, 3]), 1]]);
  });

  it('works inside a transaction and sees its uncommitted rows', async () => {
    const db = await people(storage);
    await db.transaction(async (tx) => {
      await tx.run("INSERT INTO pet VALUES (13, 1, 'Zed')");
      const { rows } = await tx.query('SELECT pet.id, person.id FROM pet JOIN person ON person.id = pet.owner WHERE pet.id = 13');
      expect(rows).toEqual([[13, 1]]);
    });
  });

  it('refuses a bad rowMode or an unknown option before anything runs', async () => {
    const db = await people(storage);
    expect((await failure(() => db.query('SELECT 1', [], { rowMode: 'objects' as never }))).code).toBe('INVALID_ARGUMENT');
    expect((await failure(() => db.query('SELECT 1', [], { mode: 'array' } as never))).code).toBe('INVALID_ARGUMENT');
    expect((await failure(() => db.batch([{ sql: 'SELECT 1' }], { rowMode: 1 } as never))).code).toBe('INVALID_ARGUMENT');
  });
});

describe('batch with a rowMode', () => {
  it("'array' gives each statement's columns and array rows; without options the results are as before", async () => {
    const db = await people('memory');
    const statements = [
      { sql: JOIN },
      { sql: 'INSERT INTO person (name) VALUES (?)', params: ['Eve'] },
      { sql: 'SELECT id FROM person WHERE 0' },
    ];
    expect(await db.batch(statements, { rowMode: 'array' })).toEqual([
      {
        columns: ['id', 'name', 'id', 'name'],
        rows: [
          [1, 'Ada', 10, 'Rex'],
          [2, 'Bob', 11, 'Tom'],
          [2, 'Bob', 12, 'Kit'],
        ],
        changes: 0,
        lastInsertRowid: 12,
      },
      { columns: [], rows: [], changes: 1, lastInsertRowid: 3 },
      { columns: ['id'], rows: [], changes: 0, lastInsertRowid: 3 },
    ]);
    const plain = await db.batch([{ sql: 'SELECT id, name FROM person WHERE id = 3' }]);
    expect(plain).toEqual([{ rows: [{ id: 3, name: 'Eve' }], changes: 0, lastInsertRowid: 3 }]);
  });

  it("'object' gives object rows with the columns", async () => {
    const db = await people('memory');
    expect(await db.batch([{ sql: 'SELECT id, name FROM person ORDER BY id' }], { rowMode: 'object' })).toEqual([
      {
        columns: ['id', 'name'],
        rows: [
          { id: 1, name: 'Ada' },
          { id: 2, name: 'Bob' },
        ],
        changes: 0,
        lastInsertRowid: 12,
      },
    ]);
  });

  it('a write batch with a rowMode is answered the same when retried from the record', async () => {
    const db = await people('opfs');
    const results = await db.batch([{ sql: 'INSERT INTO pet VALUES (20, 1, ?) RETURNING id, name', params: ['Ivy'] }], {
      rowMode: 'array',
    });
    expect(results).toEqual([{ columns: ['id', 'name'], rows: [[20, 'Ivy']], changes: 1, lastInsertRowid: 20 }]);
    // The recorded reply is what a retry after a leader change would get: it must hold the columns too.
    const recorded = await db.all<{ reply: string }>("SELECT reply FROM _baton_requests WHERE reply LIKE '%Ivy%'");
    expect(recorded).toHaveLength(1);
    expect(JSON.parse(recorded[0]!.reply)).toMatchObject({ columns: [[0, ['id', 'name']]] });
  });
});
