import { describe, expect, it } from 'vitest';
import { wrap } from 'comlink';
import sqlite3InitModule from '@sqlite.org/sqlite-wasm';
import { open } from './support/open.ts';
import { uniqueName } from './support/unique-name.ts';

/**
 * The exactly-once record's file format. 0.1 keyed `_baton_requests` by request id with an index
 * on the expiry; the record is now keyed by (deadline, id). A file or an image from 0.1 keeps its
 * records, re-keyed, whether it is opened or imported.
 */

const KEEP_AFTER_DEADLINE_MS = 5 * 60_000;

/** A database image as 0.1 left it: one user table and two recorded requests. */
async function imageFromVersion01(deadline: number): Promise<Uint8Array> {
  const sqlite3 = await sqlite3InitModule();
  const db = new sqlite3.oo1.DB(':memory:');
  try {
    db.exec(`
      CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT);
      INSERT INTO t (body) VALUES ('before');
      CREATE TABLE _baton_requests (id TEXT PRIMARY KEY, reply TEXT, expires INTEGER NOT NULL) WITHOUT ROWID;
      CREATE INDEX _baton_requests_expires ON _baton_requests (expires);
      CREATE TABLE _baton_meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID;
      INSERT INTO _baton_meta VALUES ('epoch', 7);
    `);
    db.exec({
      sql: 'INSERT INTO _baton_requests (id, reply, expires) VALUES (?, ?, ?), (?, ?, ?)',
      bind: ['req-a', '{"changes":1}', deadline + KEEP_AFTER_DEADLINE_MS, 'req-b', null, deadline + 1 + KEEP_AFTER_DEADLINE_MS],
    });
    return sqlite3.capi.sqlite3_js_db_export(db);
  } finally {
    db.close();
  }
}

type Db = Awaited<ReturnType<typeof open>>;

async function expectCarriedOver(db: Db, deadline: number): Promise<void> {
  expect(await db.all('SELECT deadline, id, reply FROM _baton_requests ORDER BY id')).toEqual([
    { deadline, id: 'req-a', reply: '{"changes":1}' },
    { deadline: deadline + 1, id: 'req-b', reply: null },
  ]);
  const leftovers = await db.all("SELECT name FROM sqlite_master WHERE name IN ('_baton_requests_by_id', '_baton_requests_expires')");
  expect(leftovers).toEqual([]);
  // Writes go on being recorded under the new key.
  await db.run("INSERT INTO t (body) VALUES ('after')");
  expect(await db.get('SELECT count(*) AS n FROM t')).toEqual({ n: 2 });
  expect(await db.get('SELECT count(*) AS n FROM _baton_requests')).toEqual({ n: 3 });
}

describe('the request record of a 0.1 file', () => {
  it.each(['opfs', 'memory'] as const)('is re-keyed by an import (%s)', async (storage) => {
    const deadline = Date.now() + 30_000;
    const db = await open({ storage });
    await db.import(await imageFromVersion01(deadline));
    await expectCarriedOver(db, deadline);
  });

  it('is re-keyed when the file is opened', async () => {
    const deadline = Date.now() + 30_000;
    const name = uniqueName('v01');
    const worker = new Worker(new URL('./support/plant-file.worker.ts', import.meta.url), { type: 'module' });
    try {
      await wrap<{ plant(name: string, bytes: Uint8Array): Promise<void> }>(worker).plant(name, await imageFromVersion01(deadline));
    } finally {
      worker.terminate();
    }
    const db = await open({ storage: 'opfs' }, name);
    await expectCarriedOver(db, deadline);
  });
});
