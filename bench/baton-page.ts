/**
 * B and C: sqlite-baton called from this tab, through its public API. The first tab to open a
 * database leads (B); the others follow and forward to it (C). No COOP/COEP here, as in an app.
 * On OPFS unless the runner asks for another storage (B_idb: `{ storage: 'indexeddb' }`; on the
 * non-secure origin, `{ storage: 'auto' }` gets IndexedDB with leases).
 */
import { openDatabase, type DatabaseOptions } from 'sqlite-baton';
import type { Database } from 'sqlite-baton';
import { copyLargeValues } from '../src/large-values.ts';
import { installLivePage } from './live-page.ts';
import { installBenchPage } from './shared/bench-page.ts';
import { epochNow, type Statement } from './shared/workloads.ts';

const SYNCHRONOUS = ['OFF', 'NORMAL', 'FULL', 'EXTRA'];

let opened: Database | undefined;
installLivePage(() => {
  if (!opened) throw new Error('bench.open() first');
  return opened;
});

installBenchPage(async (name, options, events) => {
  // `baseline`: the library as it was before issue 16's points 4 and 5 (bench/baseline-worker.ts).
  const { baseline, ...rest } = options as DatabaseOptions & { baseline?: boolean };
  if (baseline) copyLargeValues();
  const worker = baseline ? { worker: () => new Worker(new URL('./baseline-worker.ts', import.meta.url), { type: 'module' }) } : {};
  const db = await openDatabase(name, { storage: 'opfs', ...rest, ...worker });
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
      if (db.storage === 'indexeddb') {
        const durability = (options as DatabaseOptions).durability === 'relaxed' ? 'relaxed' : 'strict';
        return { vfs: 'memdb + IndexedDB', journalMode: String(journal?.journal_mode), synchronous: `durability=${durability}` };
      }
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
