/**
 * The IndexedDB engine in one page (a secure origin, so with Web Locks): what IndexedDB holds after
 * each kind of commit, read straight from IndexedDB and compared with the database's own image;
 * the fence a commit's IndexedDB transaction puts up against a stale leader; maintenance.
 */
import { describe, expect, it } from 'vitest';
import { deleteDatabase, readDatabaseFile, type Database } from 'sqlite-baton';
import { count, open } from './support/open.ts';
import { uniqueName } from './support/unique-name.ts';

/** The IndexedDB database of sqlite-baton database `name` (worker/engine/page-store.ts). */
function idbName(name: string): string {
  return `sqlite-baton:db:${name}`;
}

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

async function withStore<T>(name: string, fn: (db: IDBDatabase) => Promise<T>): Promise<T> {
  const db = await request(indexedDB.open(idbName(name)));
  try {
    return await fn(db);
  } finally {
    db.close();
  }
}

/** The file as IndexedDB holds it now: its pages put back together. */
function savedFile(name: string): Promise<Uint8Array> {
  return withStore(name, async (db) => {
    const tx = db.transaction(['pages', 'meta'], 'readonly');
    const file = (await request(tx.objectStore('meta').get('file'))) as { size: number; pageSize: number };
    const keys = (await request(tx.objectStore('pages').getAllKeys())) as number[];
    const pages = (await request(tx.objectStore('pages').getAll())) as Uint8Array[];
    const bytes = new Uint8Array(file.size);
    keys.forEach((key, i) => bytes.set(pages[i]!, key * file.pageSize));
    expect(Math.max(-1, ...keys)).toBe(file.size / file.pageSize - 1);
    return bytes;
  });
}

/** Fails unless IndexedDB holds exactly the database `db` serves now. */
async function expectSaved(db: Database, name: string): Promise<void> {
  const image = await db.export();
  const saved = await savedFile(name);
  expect(saved.byteLength).toBe(image.byteLength);
  expect(saved.every((byte, i) => byte === image[i])).toBe(true);
}

describe('IndexedDB engine', () => {
  it('each kind of commit is in IndexedDB, whole, by the time its caller is answered', async () => {
    const name = uniqueName('idb-saved');
    const db = await open({ storage: 'indexeddb' }, name);
    expect(db.storage).toBe('indexeddb');
    await db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)');
    await expectSaved(db, name);
    await db.run('INSERT INTO t (body) VALUES (?)', ['one']);
    await expectSaved(db, name);
    await db.batch(Array.from({ length: 300 }, (_, i) => ({ sql: 'INSERT INTO t (body) VALUES (?)', params: [`row ${i} `.repeat(30)] })));
    await expectSaved(db, name);
    await db.transaction(async (tx) => {
      await tx.run('DELETE FROM t WHERE id % 2 = 0');
      await tx.run("UPDATE t SET body = 'changed' WHERE id < 50");
    });
    await expectSaved(db, name);
    await db.exec('PRAGMA user_version = 7');
    await expectSaved(db, name);
  });

  it('writes issued together share commits, and each group is saved before any of them is answered', async () => {
    const name = uniqueName('idb-group');
    const db = await open({ storage: 'indexeddb' }, name);
    await db.exec('CREATE TABLE t (x)');
    const before = await db.status();
    await Promise.all(Array.from({ length: 40 }, (_, i) => db.run('INSERT INTO t VALUES (?)', [i])));
    const after = await db.status();
    expect(after.committedWrites - before.committedWrites).toBe(40);
    expect(after.commits - before.commits).toBeLessThan(40);
    await expectSaved(db, name);
  });

  it('VACUUM that shrinks the file is saved (the pages past its end dropped) and reads back', async () => {
    const name = uniqueName('idb-vacuum');
    const first = await open({ storage: 'indexeddb' }, name);
    await first.exec('CREATE TABLE t (body TEXT)');
    await first.batch(Array.from({ length: 400 }, () => ({ sql: 'INSERT INTO t VALUES (randomblob(2000))' })));
    await first.exec('DELETE FROM t WHERE rowid > 10');
    const sizeBefore = (await first.export()).byteLength;
    await first.exec('VACUUM');
    expect((await first.export()).byteLength).toBeLessThan(sizeBefore);
    await expectSaved(first, name);
    await first.close();
    const second = await open({ storage: 'indexeddb' }, name);
    expect(await count(second, 't')).toBe(10);
    expect(await second.get('PRAGMA integrity_check')).toEqual({ integrity_check: 'ok' });
  });

  it('an import is saved whole, and reopens as imported', async () => {
    const source = await open({ storage: 'memory' });
    await source.exec("CREATE TABLE imported (v TEXT); INSERT INTO imported VALUES ('from the image')");
    const name = uniqueName('idb-import');
    const first = await open({ storage: 'indexeddb' }, name);
    await first.exec('CREATE TABLE old (x)');
    await first.import(await source.export());
    await expectSaved(first, name);
    await first.close();
    const second = await open({ storage: 'indexeddb' }, name);
    expect(await second.all('SELECT v FROM imported')).toEqual([{ v: 'from the image' }]);
    expect(await second.get("SELECT name FROM sqlite_master WHERE name = 'old'")).toBeUndefined();
  });

  it("durability 'relaxed' keeps every acknowledged write across close and reopen too", async () => {
    const name = uniqueName('idb-relaxed');
    const first = await open({ storage: 'indexeddb', durability: 'relaxed' }, name);
    await first.exec('CREATE TABLE t (x)');
    await Promise.all([1, 2, 3].map((x) => first.run('INSERT INTO t VALUES (?)', [x])));
    await first.close();
    const second = await open({ storage: 'indexeddb', durability: 'relaxed' }, name);
    expect(await second.all('SELECT x FROM t ORDER BY x')).toEqual([{ x: 1 }, { x: 2 }, { x: 3 }]);
  });

  it('a write whose save finds the file claimed by another leader is not answered by the old one: it is retried, once, at the next', async () => {
    const name = uniqueName('idb-fenced');
    const db = await open({ storage: 'indexeddb' }, name);
    await db.exec('CREATE TABLE t (v TEXT)');
    const before = await db.status();
    // What a new leader does when it opens the file: it writes its own token as the owner.
    await withStore(name, async (idb) => {
      const tx = idb.transaction('meta', 'readwrite');
      tx.objectStore('meta').put({ token: 'another-leader' }, 'owner');
      await new Promise((resolve) => (tx.oncomplete = resolve));
    });
    expect(await db.run("INSERT INTO t VALUES ('after the claim')")).toMatchObject({ changes: 1 });
    const after = await db.status();
    // Answered by a new leader (this tab's fresh worker), which opened the file again.
    expect(after.epoch).toBeGreaterThan(before.epoch);
    expect(await db.all('SELECT v FROM t')).toEqual([{ v: 'after the claim' }]);
    await expectSaved(db, name);
  });

  it('readDatabaseFile reads the saved file and deleteDatabase removes it', async () => {
    const name = uniqueName('idb-maintain');
    const db = await open({ storage: 'indexeddb' }, name);
    await db.exec("CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('kept')");
    const image = await db.export();
    await db.close();
    const read = await readDatabaseFile(name, { storage: 'indexeddb' });
    expect(read).toEqual(image);
    await deleteDatabase(name, { storage: 'indexeddb' });
    const fresh = await open({ storage: 'indexeddb' }, name);
    expect(await fresh.get("SELECT name FROM sqlite_master WHERE name = 't'")).toBeUndefined();
  });
});
