import { describe, expect, it } from 'vitest';
import { wrap } from 'comlink';
import { deleteDatabase, openDatabase, readDatabaseFile, SqliteError, type Database } from 'sqlite-baton';
import { open as openFresh, STORAGES, type TestStorage } from './support/open.ts';
import { uniqueName } from './support/unique-name.ts';

/**
 * Database images in and out, and files SQLite cannot read: every bad image or file is refused
 * with a typed error, never a hang, and the way back (export what can be read, or reset) works.
 */

function open(storage: TestStorage, name = uniqueName('img')): Promise<Database> {
  return openFresh({ storage }, name);
}

async function filled(storage: TestStorage): Promise<{ db: Database; image: Uint8Array }> {
  const db = await open(storage);
  await db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)');
  await db.batch(Array.from({ length: 200 }, (_, i) => ({ sql: 'INSERT INTO t (body) VALUES (?)', params: [`row ${i} `.repeat(20)] })));
  return { db, image: await db.export() };
}

async function expectRefused(db: Database, image: Uint8Array, code: string): Promise<void> {
  const error = await db.import(image).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(SqliteError);
  expect((error as SqliteError).code).toBe(code);
}

describe.each(STORAGES)('images on %s', (storage) => {
  it('exports a plain SQLite file that imports into another database whole', async () => {
    const { image } = await filled(storage);
    expect(new TextDecoder().decode(image.subarray(0, 15))).toBe('SQLite format 3');
    expect([image[18], image[19]]).toEqual([1, 1]);
    const other = await open(storage);
    await other.exec('CREATE TABLE old (x)');
    await other.import(image);
    expect(await other.get('SELECT count(*) AS n FROM t')).toEqual({ n: 200 });
    expect(await other.all("SELECT name FROM sqlite_master WHERE name = 'old'")).toEqual([]);
    // The library's own tables came back, so writes after the import are still exactly-once.
    await other.run('INSERT INTO t (body) VALUES (?)', ['after']);
    expect(await other.get('SELECT count(*) AS n FROM t')).toEqual({ n: 201 });
  });

  it('refuses bytes that are not SQLite with SQLITE_NOTADB and keeps the database', async () => {
    const { db } = await filled(storage);
    await expectRefused(db, new TextEncoder().encode('this is not a database '.repeat(100)), 'SQLITE_NOTADB');
    expect(await db.get('SELECT count(*) AS n FROM t')).toEqual({ n: 200 });
  });

  it('refuses a truncated image with SQLITE_CORRUPT and keeps the database', async () => {
    const { db, image } = await filled(storage);
    await expectRefused(db, image.slice(0, Math.floor(image.byteLength / 2)), 'SQLITE_CORRUPT');
    expect(await db.get('SELECT count(*) AS n FROM t')).toEqual({ n: 200 });
  });

  it('refuses a byte-flipped image with SQLITE_CORRUPT and keeps the database', async () => {
    const { db, image } = await filled(storage);
    const flipped = image.slice();
    const pageSize = (image[16]! << 8) | image[17]!;
    // Scribble over the b-tree headers of every page after the first.
    for (let page = 1; page * pageSize < flipped.byteLength; page++) flipped.fill(0xff, page * pageSize, page * pageSize + 12);
    await expectRefused(db, flipped, 'SQLITE_CORRUPT');
    expect(await db.get('SELECT count(*) AS n FROM t')).toEqual({ n: 200 });
  });
});

describe('a database file SQLite cannot open', () => {
  it('rejects openDatabase with a typed error, and can be read as stored or deleted', async () => {
    const name = uniqueName('broken');
    const { image } = await filled('memory');
    const broken = image.slice();
    broken.fill(0xff, 16, 24); // page size and format bytes of the header
    const worker = new Worker(new URL('./support/plant-file.worker.ts', import.meta.url), { type: 'module' });
    await wrap<{ plant(name: string, bytes: Uint8Array): Promise<void> }>(worker).plant(name, broken);
    worker.terminate();

    const error = await openDatabase(name, { storage: 'opfs' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SqliteError);
    expect(['SQLITE_NOTADB', 'SQLITE_CORRUPT']).toContain((error as SqliteError).code);

    const stored = await readDatabaseFile(name);
    expect(stored.byteLength).toBe(broken.byteLength);
    // Bytes 18-19 (journal mode) are rewritten by sqlite-wasm's import; the rest is as planted.
    expect(stored.subarray(0, 18)).toEqual(broken.subarray(0, 18));
    expect(stored.subarray(20, 24)).toEqual(broken.subarray(20, 24));

    await deleteDatabase(name);
    const fresh = await open('opfs', name);
    expect(await fresh.all("SELECT name FROM sqlite_master WHERE name = 't'")).toEqual([]);
  });

  it('deleteDatabase waits for the database to be closed, then gives up with LOCK_TIMEOUT', async () => {
    const name = uniqueName('busy');
    await open('opfs', name);
    const error = await deleteDatabase(name, { lockTimeout: 200 }).catch((e: unknown) => e);
    expect((error as SqliteError).code).toBe('LOCK_TIMEOUT');
  });
});
