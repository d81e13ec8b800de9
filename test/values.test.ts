/**
 * SQL values across the worker boundary: what goes in as a parameter comes back out of a table
 * with the same JavaScript type and value, and SQLite stores it with the expected storage class.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database, type SqlValue } from 'sqlite-baton';
import { STORAGES } from './support/open.ts';
import { uniqueName } from './support/unique-name.ts';

/** Stores `value` in an untyped column (no affinity) and reads it back with its storage class. */
async function roundTrip(db: Database, value: SqlValue): Promise<{ v: unknown; type: unknown }> {
  await db.exec('CREATE TABLE IF NOT EXISTS box (id INTEGER PRIMARY KEY, v)');
  const { lastInsertRowid } = await db.run('INSERT INTO box (v) VALUES (?)', [value]);
  const row = await db.get<{ v: unknown; type: unknown }>('SELECT v, typeof(v) AS type FROM box WHERE id = ?', [lastInsertRowid]);
  return row!;
}

describe.each(STORAGES)('values on %s', (storage) => {
  // One database for the file: every test reads back only the rows it wrote, and opening costs
  // more than all of these statements together.
  let db: Database;
  beforeAll(async () => {
    db = await openDatabase(uniqueName('values'), { storage });
  });
  afterAll(() => db.close());

  it('null round-trips as null', async () => {
    expect(await roundTrip(db, null)).toEqual({ v: null, type: 'null' });
  });

  // Each case carries its input (`n`) so that a failure names the value that broke.
  it('integers up to 2^53 round-trip as numbers stored as integers', async () => {
    for (const n of [0, 1, -1, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, 2 ** 40, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER]) {
      expect({ n, ...(await roundTrip(db, n)) }).toEqual({ n, v: n, type: 'integer' });
    }
  });

  it('floats round-trip exactly as numbers stored as reals', async () => {
    for (const n of [0.5, -0.25, Math.PI, 1e-300, Number.MAX_VALUE, Number.MIN_VALUE, Infinity, -Infinity]) {
      expect({ n, ...(await roundTrip(db, n)) }).toEqual({ n, v: n, type: 'real' });
    }
  });

  it('integer-valued numbers beyond 2^53 (2 ** 64, 1e300) round-trip as the same numbers', async () => {
    for (const n of [2 ** 64, 1e300, -(2 ** 70), 2 ** 53 + 2, -(2 ** 63)]) {
      expect({ n, v: (await roundTrip(db, n)).v }).toEqual({ n, v: n });
    }
  });

  it('bigints beyond 2^53 round-trip as bigints stored as integers', async () => {
    for (const n of [2n ** 53n, 2n ** 53n + 1n, 2n ** 63n - 1n, -(2n ** 63n), -(2n ** 53n), -(2n ** 53n) - 1n]) {
      expect({ n, ...(await roundTrip(db, n)) }).toEqual({ n, v: n, type: 'integer' });
    }
  });

  it('bigints inside the safe range come back as numbers', async () => {
    for (const n of [0n, 5n, -5n, BigInt(Number.MAX_SAFE_INTEGER), BigInt(Number.MIN_SAFE_INTEGER)]) {
      expect({ n, ...(await roundTrip(db, n)) }).toEqual({ n, v: Number(n), type: 'integer' });
    }
  });

  it('strings round-trip unchanged as text', async () => {
    for (const s of [
      '',
      'hello',
      'héllo wörld ñ',
      '日本語のテキスト',
      '👍🏽 👨‍👩‍👧 🇫🇷',
      'مرحبا שלום',
      'tab\tnewline\nquote\'"backslash\\',
      'before\u0000after',
    ]) {
      expect({ s, ...(await roundTrip(db, s)) }).toEqual({ s, v: s, type: 'text' });
    }
  });

  it('a 1 MB string round-trips unchanged', async () => {
    const s = 'é😀x'.repeat(250_000);
    expect((await roundTrip(db, s)).v).toBe(s);
  });

  it('true and false are stored as the integers 1 and 0', async () => {
    expect(await roundTrip(db, true)).toEqual({ v: 1, type: 'integer' });
    expect(await roundTrip(db, false)).toEqual({ v: 0, type: 'integer' });
  });

  it('a boolean parameter compares equal to 1/0 in SQL', async () => {
    expect(await db.get('SELECT ? = 1 AS t, ? = 0 AS f', [true, false])).toEqual({ t: 1, f: 1 });
  });

  it('a Uint8Array round-trips as a Uint8Array stored as a blob', async () => {
    const bytes = new Uint8Array([0, 1, 127, 128, 255]);
    const { v, type } = await roundTrip(db, bytes);
    expect(type).toBe('blob');
    expect(v).toBeInstanceOf(Uint8Array);
    expect(Array.from(v as Uint8Array)).toEqual([0, 1, 127, 128, 255]);
  });

  it('an empty Uint8Array round-trips as an empty blob, not NULL', async () => {
    const { v, type } = await roundTrip(db, new Uint8Array(0));
    expect(type).toBe('blob');
    expect(v).toBeInstanceOf(Uint8Array);
    expect((v as Uint8Array).length).toBe(0);
  });

  it('a Uint8Array view stores only the bytes it covers', async () => {
    const view = new Uint8Array([9, 1, 2, 3, 9]).subarray(1, 4);
    const { v } = await roundTrip(db, view);
    expect(Array.from(v as Uint8Array)).toEqual([1, 2, 3]);
  });

  it('a 1 MB blob round-trips unchanged', async () => {
    const bytes = new Uint8Array(1 << 20).map((_, i) => (i * 31) & 0xff);
    const { v } = await roundTrip(db, bytes);
    expect(v).toEqual(bytes);
  });

  it('every kind of value survives a batch and a transaction, named and positional', async () => {
    const values: SqlValue[] = [null, 42, 1.5, 2n ** 62n, 'text ✓', new Uint8Array([7, 8])];
    const expected = [null, 42, 1.5, 2n ** 62n, 'text ✓', new Uint8Array([7, 8])];
    const sql = 'SELECT ? AS a, ? AS b, ? AS c, ? AS d, ? AS e, ? AS f';
    const named = 'SELECT :a AS a, :b AS b, :c AS c, :d AS d, :e AS e, :f AS f';
    const byName = { a: values[0]!, b: values[1]!, c: values[2]!, d: values[3]!, e: values[4]!, f: values[5]! };
    const [batched] = await db.batch([{ sql, params: values }]);
    const inTx = await db.transaction((tx) => tx.get(named, byName));
    for (const row of [batched!.rows[0], inTx, await db.get(named, byName)]) {
      expect(Object.values(row!)).toEqual(expected);
    }
  });

  it('column types follow the declared affinity', async () => {
    await db.exec('CREATE TABLE typed (i INTEGER, r REAL, t TEXT, b BLOB)');
    await db.run('INSERT INTO typed VALUES (?, ?, ?, ?)', ['12', 3, 45, new Uint8Array([1])]);
    expect(await db.get('SELECT i, typeof(i) AS ti, r, typeof(r) AS tr, t, typeof(t) AS tt FROM typed')).toEqual({
      i: 12,
      ti: 'integer',
      r: 3,
      tr: 'real',
      t: '45',
      tt: 'text',
    });
  });
});
