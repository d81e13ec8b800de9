/**
 * G: PGlite (Postgres in WASM) through `PGliteWorker`, its multi-tab setup: every tab starts a
 * worker, one is elected with Web Locks and opens the database, the others forward their queries
 * to it. `open(name, { storage })`: 'opfs-ahp' (OPFS access handle pool) or 'idb' (IndexedDB).
 * PGlite's defaults otherwise (durable: each query outside a transaction is synced to storage).
 *
 * The workloads are written for SQLite; the few differences are rewritten here: `?` parameters
 * become `$n`, `INTEGER PRIMARY KEY` becomes `SERIAL PRIMARY KEY`, `sqlite_schema` is `pg_class`.
 * A batch is one PGlite transaction of one query per statement (PGlite has no batch call for
 * parameterised statements).
 */
import { PGliteWorker } from '@electric-sql/pglite/worker';
import { installBenchPage } from '../shared/bench-page.ts';
import type { Value } from '../shared/workloads.ts';

function postgres(sql: string): string {
  let n = 0;
  return sql
    .replace(/\?/g, () => `$${++n}`)
    .replace(/INTEGER PRIMARY KEY/g, 'SERIAL PRIMARY KEY')
    .replace(/\bsqlite_schema\b/g, 'pg_catalog.pg_class');
}

installBenchPage(async (name, options) => {
  const storage = options.storage === 'idb' ? 'idb' : 'opfs-ahp';
  const pg = await PGliteWorker.create(
    new Worker(new URL('./pglite-worker.ts', import.meta.url), { type: 'module', name: 'bench pglite' }),
    { dataDir: `${storage}://bench-pg-${name}`, id: `bench-pg-${storage}-${name}` },
  );
  const first = async (sql: string, params: Value[] = []) => (await pg.query<Record<string, unknown>>(postgres(sql), params)).rows[0];
  return {
    subject: {
      exec: async (sql) => {
        await pg.exec(postgres(sql));
      },
      run: async (sql, params) => {
        await pg.query(postgres(sql), params);
      },
      get: (sql, params) => first(sql, params),
      batch: async (statements) => {
        await pg.transaction(async (tx) => {
          for (const s of statements) await tx.query(postgres(s.sql), s.params);
        });
      },
    },
    async settings() {
      const fsync = (await first('SHOW fsync'))?.fsync;
      const commit = (await first('SHOW synchronous_commit'))?.synchronous_commit;
      return { vfs: `PGlite ${storage}`, journalMode: 'postgres WAL', synchronous: `fsync=${fsync}, synchronous_commit=${commit}` };
    },
    role: async () => (pg.isLeader ? 'leader' : 'follower'),
    // Not pg.close(): in a follower tab it throws an uncaught InvalidStateError (its BroadcastChannel
    // posts after closing, PGlite 0.5.16). Closing the tab, which the bench does next, ends it all.
    close: async () => {},
  };
});
