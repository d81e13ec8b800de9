/**
 * B and C: sqlite-baton called from this tab, through its public API. The first tab to open a
 * database leads (B); the others follow and forward to it (C). No COOP/COEP here, as in an app.
 */
import { openDatabase } from 'sqlite-baton';
import type { Database } from 'sqlite-baton';
import { installLivePage } from './live-page.ts';
import { installBenchPage } from './shared/bench-page.ts';
import { epochNow, type Statement } from './shared/workloads.ts';

const SYNCHRONOUS = ['OFF', 'NORMAL', 'FULL', 'EXTRA'];

let opened: Database | undefined;
installLivePage(() => {
  if (!opened) throw new Error('bench.open() first');
  return opened;
});

installBenchPage(async (name, _options, events) => {
  const db = await openDatabase(name, { storage: 'opfs' });
  opened = db;
  db.addEventListener('leaderchange', (event) => {
    events.push({ type: 'leaderchange', at: epochNow(), detail: (event as CustomEvent).detail });
  });
  return {
    subject: {
      exec: (sql) => db.exec(sql),
      run: async (sql, params) => {
        await db.run(sql, params);
      },
      get: (sql, params) => db.get(sql, params),
      batch: async (statements: Statement[]) => {
        await db.batch(statements);
      },
    },
    // status() does not say how the file is opened; SQLite does.
    async settings() {
      const journal = await db.get<{ journal_mode: string }>('PRAGMA journal_mode');
      const sync = await db.get<{ synchronous: number }>('PRAGMA synchronous');
      const level = Number(sync?.synchronous);
      return { vfs: 'opfs-sahpool', journalMode: String(journal?.journal_mode), synchronous: SYNCHRONOUS[level] ?? String(level) };
    },
    role: async () => (await db.status()).role,
    ping: () => db.status(),
    commitCounts: async () => {
      const { commits, committedWrites } = await db.status();
      return { commits, writes: committedWrites };
    },
    close: () => db.close(),
  };
});
