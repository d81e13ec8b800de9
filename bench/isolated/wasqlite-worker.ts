/**
 * F: wa-sqlite as PowerSync's web SDK runs it with `vfs: OPFSCoopSyncVFS` (read in powersync-js
 * 2.x, packages/web/src/db/adapters/wa-sqlite/ and src/worker/db/MultiDatabaseServer.ts; the
 * code here is the bench's own): a dedicated worker per tab with its own connection, wa-sqlite's
 * synchronous build, the OPFSCoopSyncVFS (tabs hand the file's access handles to each other over
 * a BroadcastChannel and a Web Lock), `PRAGMA temp_store = memory` and `cache_size = -51200`,
 * every other setting at SQLite's default (rollback journal, synchronous=FULL). Each call holds
 * the Web Lock `db-lock-<file>` while it runs, as PowerSync's connection lease does across tabs.
 * Statements are prepared per call, as with PowerSync's default (its statement cache is off).
 */
import SQLiteModuleFactory from '@journeyapps/wa-sqlite/dist/wa-sqlite.mjs';
import * as SQLite from '@journeyapps/wa-sqlite';
import { OPFSCoopSyncVFS } from '@journeyapps/wa-sqlite/src/examples/OPFSCoopSyncVFS.js';
import { serve } from '../shared/worker-rpc.ts';
import type { Statement, Value } from '../shared/workloads.ts';

const SYNCHRONOUS = ['OFF', 'NORMAL', 'FULL', 'EXTRA'];

let sqlite3: SQLiteAPI | undefined;
let db = 0;
let lockName = '';

function api(): SQLiteAPI {
  if (!sqlite3 || !db) throw new Error('open first');
  return sqlite3;
}

/** One call = one lease of the connection under the cross-tab Web Lock. */
function leased<T>(body: () => Promise<T>): Promise<T> {
  return navigator.locks.request(lockName, body) as Promise<T>;
}

/** Runs every statement of `sql` (bound to `params` when given: then only the first); rows as objects. */
async function execute(sql: string, params?: Value[]): Promise<Array<Record<string, unknown>>> {
  const s = api();
  const rows: Array<Record<string, unknown>> = [];
  for await (const stmt of s.statements(db, sql)) {
    if (params && params.length > 0) s.bind_collection(stmt, params);
    const columns = s.column_names(stmt);
    while ((await s.step(stmt)) === SQLite.SQLITE_ROW) {
      const row = s.row(stmt);
      rows.push(Object.fromEntries(columns.map((c, i) => [c, row[i]])));
    }
    if (params) break;
  }
  return rows;
}

/** A run of statements with the same SQL is prepared once and stepped per parameter set (PowerSync's executeBatch). */
async function executeBatch(statements: Statement[]): Promise<void> {
  const s = api();
  let i = 0;
  while (i < statements.length) {
    const sql = statements[i]!.sql;
    for await (const stmt of s.statements(db, sql)) {
      for (; i < statements.length && statements[i]!.sql === sql; i++) {
        s.reset(stmt);
        s.bind_collection(stmt, statements[i]!.params);
        while ((await s.step(stmt)) === SQLite.SQLITE_ROW) {
          // no results wanted
        }
      }
      break;
    }
  }
}

serve({
  async open(name: string) {
    const module = await SQLiteModuleFactory();
    const filename = `bench-wa-${name}.db`;
    const vfs = await OPFSCoopSyncVFS.create(filename, module);
    sqlite3 = SQLite.Factory(module);
    sqlite3.vfs_register(vfs, true);
    lockName = `db-lock-${filename}`;
    db = await sqlite3.open_v2(filename);
    return leased(async () => {
      await execute('PRAGMA temp_store = memory');
      await execute('PRAGMA cache_size = -51200');
      const journal = (await execute('PRAGMA journal_mode'))[0]?.journal_mode;
      const level = Number((await execute('PRAGMA synchronous'))[0]?.synchronous);
      return { vfs: 'OPFSCoopSyncVFS', journalMode: String(journal), synchronous: SYNCHRONOUS[level] ?? String(level) };
    });
  },
  exec: (sql: string) => leased(async () => void (await execute(sql))),
  run: (sql: string, params: Value[]) => leased(async () => void (await execute(sql, params))),
  get: (sql: string, params: Value[]) => leased(async () => (await execute(sql, params))[0]),
  batch: (statements: Statement[]) =>
    leased(async () => {
      await execute('BEGIN');
      try {
        await executeBatch(statements);
        await execute('COMMIT');
      } catch (error) {
        await execute('ROLLBACK');
        throw error;
      }
    }),
  async close() {
    if (sqlite3 && db) await sqlite3.close(db);
    db = 0;
  },
});
