/**
 * Persistence in one page, on OPFS and on IndexedDB: what a handle wrote is there for the next
 * handle of the same name, on a page without cross-origin isolation (no COOP/COEP, no
 * SharedArrayBuffer).
 */
import { describe, expect, it } from 'vitest';
import { openDatabase, type LeaderChange } from 'sqlite-baton';
import { count, open, PERSISTENT } from './support/open.ts';
import { uniqueName } from './support/unique-name.ts';

describe.each(PERSISTENT)('persistence on %s', (storage) => {
  it('the test page is not cross-origin isolated, and a database works there', async () => {
    expect(globalThis.crossOriginIsolated).toBe(false);
    const db = await open({ storage });
    await db.exec('CREATE TABLE t (x)');
    await db.run('INSERT INTO t VALUES (?)', ['works']);
    expect(await db.all('SELECT x FROM t')).toEqual([{ x: 'works' }]);
  });

  it('a single handle leads and reports its storage', async () => {
    const db = await open({ storage });
    expect(db.storage).toBe(storage);
    const status = await db.status();
    expect(status).toMatchObject({ role: 'leader', storage });
    expect(status.leaderId).toBe(status.tabId);
  });

  it('rows survive close and reopen with the same name', async () => {
    const name = uniqueName('persist');
    const first = await open({ storage }, name);
    await first.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT, data BLOB)');
    await first.run('INSERT INTO notes (body, data) VALUES (?, ?)', ['hello', new Uint8Array([1, 2, 3])]);
    await first.batch([{ sql: "INSERT INTO notes (body) VALUES ('from a batch')" }]);
    await first.close();

    const second = await open({ storage }, name);
    const rows = await second.all<{ id: number; body: string; data: Uint8Array | null }>('SELECT * FROM notes ORDER BY id');
    expect(rows.map((r) => r.body)).toEqual(['hello', 'from a batch']);
    expect(Array.from(rows[0]!.data!)).toEqual([1, 2, 3]);
  });

  it('a committed transaction survives reopen, a rolled back one does not', async () => {
    const name = uniqueName('persist-tx');
    const first = await open({ storage }, name);
    await first.exec('CREATE TABLE t (v TEXT)');
    await first.transaction((tx) => tx.run("INSERT INTO t VALUES ('committed')"));
    await first
      .transaction(async (tx) => {
        await tx.run("INSERT INTO t VALUES ('rolled back')");
        throw new Error('undo');
      })
      .catch(() => undefined);
    await first.close();

    const second = await open({ storage }, name);
    expect(await second.all('SELECT v FROM t')).toEqual([{ v: 'committed' }]);
  });

  it('several close/reopen cycles keep every write, and the epoch grows at each', async () => {
    const name = uniqueName('persist-cycles');
    const epochs: number[] = [];
    for (let cycle = 0; cycle < 3; cycle++) {
      const db = await openDatabase(name, { storage });
      try {
        await db.exec('CREATE TABLE IF NOT EXISTS t (cycle INTEGER)');
        await db.run('INSERT INTO t VALUES (?)', [cycle]);
        expect(await count(db, 't')).toBe(cycle + 1);
        epochs.push((await db.status()).epoch);
      } finally {
        await db.close();
      }
    }
    expect(epochs[1]).toBeGreaterThan(epochs[0]!);
    expect(epochs[2]).toBeGreaterThan(epochs[1]!);
  });

  it('PRAGMA user_version persists', async () => {
    const name = uniqueName('persist-pragma');
    const first = await open({ storage }, name);
    await first.exec('PRAGMA user_version = 3');
    await first.close();
    const second = await open({ storage }, name);
    expect(await second.get('PRAGMA user_version')).toEqual({ user_version: 3 });
  });

  it('databases with different names are separate and can be open at once', async () => {
    const a = await open({ storage }, uniqueName('a'));
    const b = await open({ storage }, uniqueName('b'));
    await a.exec("CREATE TABLE only_a (x); INSERT INTO only_a VALUES ('a')");
    await b.exec("CREATE TABLE only_b (x); INSERT INTO only_b VALUES ('b')");
    expect(await a.all("SELECT name FROM sqlite_master WHERE name LIKE 'only_%'")).toEqual([{ name: 'only_a' }]);
    expect(await b.all("SELECT name FROM sqlite_master WHERE name LIKE 'only_%'")).toEqual([{ name: 'only_b' }]);
    expect((await a.status()).role).toBe('leader');
    expect((await b.status()).role).toBe('leader');
  });

  it('a name with spaces, slashes and non-ASCII characters persists', async () => {
    const name = `${uniqueName('odd')} / dossier ünïcode 日本 ?#%`;
    const first = await open({ storage }, name);
    await first.exec("CREATE TABLE t (x); INSERT INTO t VALUES ('kept')");
    await first.close();
    const second = await open({ storage }, name);
    expect(await second.all('SELECT x FROM t')).toEqual([{ x: 'kept' }]);
  });

  it('names that differ only in characters a file name cannot hold are still separate databases', async () => {
    const base = uniqueName('similar');
    const a = await open({ storage }, `${base}/x`);
    const b = await open({ storage }, `${base}?x`);
    await a.exec('CREATE TABLE mine (x)');
    expect(await b.get("SELECT name FROM sqlite_master WHERE name = 'mine'")).toBeUndefined();
  });

  it('a second handle of the same name in one page follows the first and shares its data', async () => {
    const name = uniqueName('two-handles');
    const leader = await open({ storage }, name);
    await leader.exec("CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('from the leader')");
    const follower = await open({ storage }, name);
    expect((await follower.status()).role).toBe('follower');
    expect(await follower.all('SELECT v FROM t')).toEqual([{ v: 'from the leader' }]);
    await follower.run("INSERT INTO t VALUES ('from the follower')");
    expect(await leader.all('SELECT v FROM t ORDER BY rowid')).toEqual([{ v: 'from the leader' }, { v: 'from the follower' }]);
  });

  it('when the leading handle closes, the other one takes over with every row', async () => {
    const name = uniqueName('takeover');
    const first = await open({ storage }, name);
    await first.exec("CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('one')");
    const second = await open({ storage }, name);
    const becameLeader = new Promise<LeaderChange>((resolve) => {
      second.addEventListener('leaderchange', (event) => {
        const detail = (event as CustomEvent<LeaderChange>).detail;
        if (detail.role === 'leader') resolve(detail);
      });
    });
    await first.close();
    const change = await becameLeader;
    expect(change.leaderId).toBe((await second.status()).tabId);
    await second.run("INSERT INTO t VALUES ('two')");
    expect(await second.all('SELECT v FROM t ORDER BY rowid')).toEqual([{ v: 'one' }, { v: 'two' }]);
    expect((await second.status()).role).toBe('leader');
  });
});

describe('storage memory', () => {
  it('keeps nothing after close', async () => {
    const name = uniqueName('memory');
    const first = await open({ storage: 'memory' }, name);
    await first.exec('CREATE TABLE t (x)');
    await first.close();
    const second = await open({ storage: 'memory' }, name);
    expect(await second.get("SELECT name FROM sqlite_master WHERE name = 't'")).toBeUndefined();
  });

  it('is private to its handle: two handles of one name do not share rows', async () => {
    const name = uniqueName('memory-private');
    const a = await open({ storage: 'memory' }, name);
    const b = await open({ storage: 'memory' }, name);
    await a.exec('CREATE TABLE t (x)');
    expect(await b.get("SELECT name FROM sqlite_master WHERE name = 't'")).toBeUndefined();
    expect((await b.status()).role).toBe('leader');
  });

  it.each(PERSISTENT)('does not touch a database of the same name on %s', async (storage) => {
    const name = uniqueName('memory-vs-disk');
    const disk = await open({ storage }, name);
    await disk.exec("CREATE TABLE t (x); INSERT INTO t VALUES ('on disk')");
    const memory = await open({ storage: 'memory' }, name);
    expect(await memory.get("SELECT name FROM sqlite_master WHERE name = 't'")).toBeUndefined();
    expect(await disk.all('SELECT x FROM t')).toEqual([{ x: 'on disk' }]);
  });
});
