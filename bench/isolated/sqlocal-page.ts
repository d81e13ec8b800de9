/**
 * E: SQLocal with its defaults: `new SQLocal(path)` starts a worker that opens the file through
 * sqlite-wasm's `opfs` VFS (hence COOP/COEP), one client and one connection per tab.
 */
import { SQLocal } from 'sqlocal';
import { installBenchPage } from '../shared/bench-page.ts';

const SYNCHRONOUS = ['OFF', 'NORMAL', 'FULL', 'EXTRA'];

installBenchPage(async (name) => {
  const db = new SQLocal(`bench-sqlocal-${name}.sqlite3`);
  const first = async (sql: string, params: unknown[] = []) => (await db.sql(sql, ...params))[0];
  return {
    subject: {
      exec: async (sql) => {
        for (const statement of sql.split(';').filter((s) => s.trim() !== '')) await db.sql(statement);
      },
      run: async (sql, params) => {
        await db.sql(sql, ...params);
      },
      get: (sql, params) => first(sql, params),
      batch: async (statements) => {
        await db.batch(() => statements);
      },
    },
    async settings() {
      const journal = (await first('PRAGMA journal_mode')) as { journal_mode?: unknown } | undefined;
      const sync = (await first('PRAGMA synchronous')) as { synchronous?: unknown } | undefined;
      const level = Number(sync?.synchronous);
      return { vfs: 'opfs', journalMode: String(journal?.journal_mode), synchronous: SYNCHRONOUS[level] ?? String(level) };
    },
    close: () => db.destroy(),
  };
});
