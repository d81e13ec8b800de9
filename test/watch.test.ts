/**
 * db.watch and the change event in one tab, over OPFS and over a private in-memory database:
 * the first delivery, deliveries only when the rows differ, keyed diffs, errors, stopping.
 * (Across tabs: test/tabs/live.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { SqliteError, type ChangeDetail, type Database, type Row, type RowsDiff } from 'sqlite-baton';
import { open } from './support/open.ts';

/** Everything a watch delivered, and a way to wait for the next delivery. */
function recorder<T = Row>() {
  const deliveries: Array<{ rows: T[]; diff: RowsDiff<T> | undefined }> = [];
  const errors: unknown[] = [];
  let wake: (() => void) | undefined;
  return {
    deliveries,
    errors,
    listener: (rows: T[], diff: RowsDiff<T> | undefined) => {
      deliveries.push({ rows, diff });
      wake?.();
    },
    onError: (error: unknown) => {
      errors.push(error);
      wake?.();
    },
    /** Resolves once `deliveries.length + errors.length` reaches `count`. */
    async until(count: number, ms = 5_000): Promise<void> {
      const deadline = Date.now() + ms;
      while (deliveries.length + errors.length < count) {
        if (Date.now() > deadline) throw new Error(`only ${deliveries.length} deliveries and ${errors.length} errors, not ${count}`);
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 50);
        });
      }
    },
  };
}

const settle = () => new Promise((r) => setTimeout(r, 150));

async function withTodos(storage: 'opfs' | 'memory' = 'opfs'): Promise<Database> {
  const db = await open({ storage });
  await db.exec('CREATE TABLE todos (id INTEGER PRIMARY KEY, title TEXT, done INTEGER DEFAULT 0); CREATE TABLE other (v)');
  return db;
}

// Notices reach a private in-memory database's page from its worker, not over the channel: both paths.
describe.each(['opfs', 'memory'] as const)('db.watch on %s', (storage) => {
  it('delivers the current rows at once, then each new result after a commit, and nothing for unrelated writes', async () => {
    const db = await withTodos(storage);
    await db.run("INSERT INTO todos (title) VALUES ('a')");
    const r = recorder();
    const stop = db.watch('SELECT id, title FROM todos WHERE done = 0 ORDER BY id', [], r.listener, { onError: r.onError });
    await r.until(1);
    expect(r.deliveries[0]!.rows).toEqual([{ id: 1, title: 'a' }]);
    expect(r.deliveries[0]!.diff).toBeUndefined();

    await db.run("INSERT INTO todos (title) VALUES ('b')");
    await r.until(2);
    expect(r.deliveries[1]!.rows).toEqual([
      { id: 1, title: 'a' },
      { id: 2, title: 'b' },
    ]);
    // Another table, and a write to the table that leaves the result as it was.
    await db.run('INSERT INTO other VALUES (1)');
    await db.run("UPDATE todos SET title = 'a' WHERE id = 1");
    await db.run("INSERT INTO todos (title, done) VALUES ('c', 1)");
    await settle();
    expect(r.deliveries).toHaveLength(2);
    await db.run('UPDATE todos SET done = 1 WHERE id = 1');
    await r.until(3);
    expect(r.deliveries[2]!.rows).toEqual([{ id: 2, title: 'b' }]);
    expect(r.errors).toEqual([]);
    stop();
  });

  it('the change event: the tables each commit changed, numbered, in the committing tab too; import() names every table', async () => {
    const db = await withTodos(storage);
    const details: ChangeDetail[] = [];
    db.addEventListener('change', (event) => details.push(event.detail));
    await db.run("INSERT INTO todos (title) VALUES ('a')");
    await db.run('UPDATE todos SET done = 0 WHERE id = 99');
    await db.batch([{ sql: 'INSERT INTO other VALUES (1)' }, { sql: "INSERT INTO todos (title) VALUES ('b')" }]);
    await db.transaction(async (tx) => {
      await tx.run('INSERT INTO other VALUES (2)');
    });
    await db
      .transaction(async (tx) => {
        await tx.run('INSERT INTO todos (title) VALUES (?)', ['rolled back']);
        throw new Error('no');
      })
      .catch(() => undefined);
    const image = await db.export();
    await db.exec('CREATE TABLE extra (v)');
    await db.import(image);
    await settle();
    const seq0 = details[0]!.seq;
    expect(details.map((d) => ({ ...d, tables: [...d.tables].sort(), seq: d.seq - seq0 }))).toEqual([
      { tables: ['todos'], epoch: details[0]!.epoch, seq: 0, missed: false },
      { tables: ['other', 'todos'], epoch: details[0]!.epoch, seq: 1, missed: false },
      { tables: ['other'], epoch: details[0]!.epoch, seq: 2, missed: false },
      { tables: ['extra'], epoch: details[0]!.epoch, seq: 3, missed: false },
      { tables: ['extra', 'other', 'todos'], epoch: details[0]!.epoch, seq: 4, missed: false },
    ]);
  });
});

describe('db.watch', () => {
  const storage = 'opfs';
  it('compares values exactly: bigint and blob columns, and a blob that changed by one byte', async () => {
    const db = await open({ storage });
    await db.exec('CREATE TABLE v (id INTEGER PRIMARY KEY, big INTEGER, data BLOB)');
    await db.run('INSERT INTO v VALUES (1, ?, ?)', [2n ** 60n, new Uint8Array([1, 2, 3])]);
    const r = recorder();
    db.watch('SELECT big, data FROM v', undefined, r.listener);
    await r.until(1);
    expect(r.deliveries[0]!.rows).toEqual([{ big: 2n ** 60n, data: new Uint8Array([1, 2, 3]) }]);
    await db.run('UPDATE v SET data = ? WHERE id = 1', [new Uint8Array([1, 2, 3])]);
    await settle();
    expect(r.deliveries).toHaveLength(1);
    await db.run('UPDATE v SET data = ? WHERE id = 1', [new Uint8Array([1, 2, 4])]);
    await r.until(2);
    await db.run('UPDATE v SET big = ? WHERE id = 1', [2n ** 60n + 1n]);
    await r.until(3);
    expect(r.deliveries[2]!.rows).toEqual([{ big: 2n ** 60n + 1n, data: new Uint8Array([1, 2, 4]) }]);
  });

  it('keyed: added, removed and changed by key, and unchanged rows are the objects delivered before', async () => {
    const db = await withTodos();
    await db.batch([1, 2, 3].map((i) => ({ sql: 'INSERT INTO todos (id, title) VALUES (?, ?)', params: [i, `t${i}`] })));
    const r = recorder<{ id: number; title: string }>();
    db.watch<{ id: number; title: string }>('SELECT id, title FROM todos ORDER BY id', [], r.listener, { key: 'id', onError: r.onError });
    await r.until(1);
    expect(r.deliveries[0]!.diff).toEqual({ added: r.deliveries[0]!.rows, removed: [], changed: [] });
    await db.batch([
      { sql: 'DELETE FROM todos WHERE id = 1' },
      { sql: "UPDATE todos SET title = 'T2' WHERE id = 2" },
      { sql: "INSERT INTO todos (id, title) VALUES (4, 't4')" },
    ]);
    await r.until(2);
    const [first, second] = r.deliveries;
    expect(second!.diff).toEqual({ added: [{ id: 4, title: 't4' }], removed: [{ id: 1, title: 't1' }], changed: [{ id: 2, title: 'T2' }] });
    expect(second!.rows.map((row) => row.id)).toEqual([2, 3, 4]);
    // Row 3 did not change: the very object of the first delivery.
    expect(second!.rows[1]).toBe(first!.rows[2]);
    expect(r.errors).toEqual([]);
  });

  it('a key function, and a key that is not unique reaches onError', async () => {
    const db = await withTodos();
    await db.run("INSERT INTO todos (title) VALUES ('same'), ('same')");
    const byTitle = recorder();
    db.watch('SELECT title FROM todos', [], byTitle.listener, { key: (row) => row.title!, onError: byTitle.onError });
    await byTitle.until(1);
    expect(byTitle.deliveries).toEqual([]);
    expect((byTitle.errors[0] as SqliteError).code).toBe('INVALID_ARGUMENT');
    const byId = recorder();
    db.watch('SELECT id, title FROM todos', [], byId.listener, { key: (row) => Number(row.id) * 10, onError: byId.onError });
    await byId.until(1);
    expect(byId.deliveries[0]!.diff!.added).toHaveLength(2);
  });

  it('errors reach onError once, the watch recovers when the table appears, and nothing is an unhandled rejection', async () => {
    const db = await open({ storage });
    const unhandled: unknown[] = [];
    const onUnhandled = (event: PromiseRejectionEvent) => unhandled.push(event.reason);
    window.addEventListener('unhandledrejection', onUnhandled);
    try {
      const r = recorder();
      db.watch('SELECT v FROM later', [], r.listener, { onError: r.onError });
      await r.until(1);
      expect(r.errors[0]).toBeInstanceOf(SqliteError);
      expect((r.errors[0] as SqliteError).code).toBe('SQLITE_ERROR');
      await db.exec('CREATE TABLE unrelated (v)');
      await db.run('INSERT INTO unrelated VALUES (1)');
      await settle();
      // The same failure again is not reported again.
      expect(r.errors).toHaveLength(1);
      await db.exec('CREATE TABLE later (v)');
      await r.until(2);
      expect(r.deliveries[0]!.rows).toEqual([]);
      await db.run('INSERT INTO later VALUES (7)');
      await r.until(3);
      expect(r.deliveries[1]!.rows).toEqual([{ v: 7 }]);
      // A statement that writes is refused, through onError too.
      const writing = recorder();
      db.watch('INSERT INTO later VALUES (8) RETURNING v', [], writing.listener, { onError: writing.onError });
      await writing.until(1);
      expect((writing.errors[0] as SqliteError).code).toBe('INVALID_ARGUMENT');
      await settle();
      expect(unhandled).toEqual([]);
      expect(await db.all('SELECT v FROM later')).toEqual([{ v: 7 }]);
    } finally {
      window.removeEventListener('unhandledrejection', onUnhandled);
    }
  });

  it('stopping (the function, Symbol.dispose, an AbortSignal) ends deliveries', async () => {
    const db = await withTodos();
    const a = recorder();
    const b = recorder();
    const c = recorder();
    const stopA = db.watch('SELECT count(*) AS n FROM todos', [], a.listener);
    const controller = new AbortController();
    db.watch('SELECT count(*) AS n FROM todos', [], c.listener, { signal: controller.signal });
    {
      using _b = db.watch('SELECT count(*) AS n FROM todos', [], b.listener);
      await b.until(1);
    }
    await a.until(1);
    await c.until(1);
    stopA();
    stopA();
    controller.abort();
    await db.run("INSERT INTO todos (title) VALUES ('x')");
    await settle();
    expect([a.deliveries.length, b.deliveries.length, c.deliveries.length]).toEqual([1, 1, 1]);
    const already = new AbortController();
    already.abort();
    const d = recorder();
    db.watch('SELECT 1', [], d.listener, { signal: already.signal });
    await settle();
    expect(d.deliveries).toEqual([]);
  });

  it('bad arguments throw INVALID_ARGUMENT at once', async () => {
    const db = await withTodos();
    expect(() => db.watch('', [], () => undefined)).toThrow(SqliteError);
    expect(() => db.watch('SELECT 1', [undefined as never], () => undefined)).toThrow(/parameter 1/);
    expect(() => db.watch('SELECT 1', [], 'nope' as never)).toThrow(/listener/);
    expect(() => db.watch('SELECT 1', [], () => undefined, { key: 3 as never })).toThrow(/key/);
  });
});

describe('change notices heard on the channel', () => {
  /** Watch runs (reads) and deliveries, counted through the internal hook db.watch is built on. */
  function counted(db: Database, sql: string) {
    const seen = { runs: 0, deliveries: [] as Row[][], errors: [] as unknown[] };
    db.startWatch(sql, [], {
      listener: (rows) => seen.deliveries.push(rows),
      onError: (e) => seen.errors.push(e),
      onRun: () => seen.runs++,
    });
    return seen;
  }

  it('a gap in seq makes every watch read once; malformed and forged notices never crash it nor hide a real change', async () => {
    const name = `forged-${Date.now().toString(36)}`;
    const db = await open({ storage: 'opfs' }, name);
    await db.exec('CREATE TABLE t (v); CREATE TABLE other (v)');
    const details: ChangeDetail[] = [];
    db.addEventListener('change', (event) => details.push(event.detail));
    const seen = counted(db, 'SELECT count(*) AS n FROM t');
    await db.run('INSERT INTO t VALUES (1)');
    await settle();
    expect(seen.deliveries.at(-1)).toEqual([{ n: 1 }]);
    const { epoch, seq } = details.at(-1)!;
    const runs = seen.runs;

    const forger = new BroadcastChannel(`sqlite-baton:${name}:changes`);
    try {
      for (const junk of [
        null,
        'change',
        { v: 2, t: 'change', epoch, seq: seq + 1 },
        { v: 2, t: 'change', epoch, seq: seq + 1, tables: 't' },
        { v: 2, t: 'change', epoch, seq: -1, tables: ['t'] },
        { v: 2, t: 'change', epoch: 0, seq: seq + 1, tables: ['t'] },
        { v: 2, t: 'change', epoch, seq: 1.5, tables: ['t'] },
        { v: 2, t: 'change', epoch, seq: seq + 1, tables: [1] },
        { v: 99, t: 'change', epoch, seq: seq + 1, tables: ['t'] },
        { v: 2, t: 'other', epoch, seq: seq + 1, tables: ['t'] },
      ]) {
        forger.postMessage(junk);
      }
      await settle();
      expect({ runs: seen.runs, events: details.length }).toEqual({ runs, events: 1 });

      // A notice of an unrelated table, numbered past one this tab never heard: the watch reads once.
      forger.postMessage({ v: 2, t: 'change', epoch, seq: seq + 2, tables: ['other'] });
      await settle();
      expect(seen.runs).toBe(runs + 1);
      expect(details.at(-1)).toMatchObject({ seq: seq + 2, missed: true });
      expect(seen.deliveries).toHaveLength(2);

      // Forged numbers far ahead, and a forged new epoch: real changes after them still arrive.
      forger.postMessage({ v: 2, t: 'change', epoch, seq: 1e12, tables: ['t'] });
      await settle();
      await db.run('INSERT INTO t VALUES (2)');
      await settle();
      expect(seen.deliveries.at(-1)).toEqual([{ n: 2 }]);
      forger.postMessage({ v: 2, t: 'change', epoch: epoch + 1000, seq: 0, tables: [] });
      await settle();
      await db.run('INSERT INTO t VALUES (3)');
      await settle();
      expect(seen.deliveries.at(-1)).toEqual([{ n: 3 }]);
      expect(seen.errors).toEqual([]);
    } finally {
      forger.close();
    }
  });

  it('close() stops every watch of the handle', async () => {
    const db = await open({ storage: 'opfs' });
    await db.exec('CREATE TABLE t (v)');
    const seen = counted(db, 'SELECT count(*) AS n FROM t');
    await settle();
    await db.close();
    expect(() => db.watch('SELECT 1', [], () => undefined)).toThrow(/closed/);
    expect({ runs: seen.runs, errors: seen.errors }).toEqual({ runs: 1, errors: [] });
  });
});
