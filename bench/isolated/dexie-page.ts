/**
 * H: Dexie over IndexedDB, in the page, as apps use it; each tab opens the database itself and
 * IndexedDB's own transactions keep the tabs apart. Transactions ask for `durability: 'strict'`
 * (Dexie's `chromeTransactionDurability`): Chromium's default lets a commit return before its
 * data is flushed, and every other contender here is durable on return.
 *
 * Dexie is not SQL: the workloads' few statements map to Dexie calls by their exact text (see
 * OPERATIONS); anything else throws, so a workload that changes cannot silently measure nothing.
 * A batch is one read-write transaction; runs of the same INSERT go through one bulkAdd.
 */
import Dexie, { type Table } from 'dexie';
import { installBenchPage } from '../shared/bench-page.ts';
import type { Statement, Value } from '../shared/workloads.ts';

interface Tables {
  items: Table<{ id?: number; tab: string; n: number; body: string }, number>;
  bulk: Table<{ id?: number; a: number; b: string }, number>;
}

type Operation = (db: Dexie & Tables, params: Value[]) => Promise<unknown>;

const OPERATIONS: Record<string, Operation> = {
  'INSERT INTO items (tab, n, body) VALUES (?, ?, ?)': (db, [tab, n, body]) =>
    db.items.add({ tab: String(tab), n: Number(n), body: String(body) }),
  'SELECT id, tab, n, body FROM items WHERE id = ?': (db, [id]) => db.items.get(Number(id)),
  'INSERT INTO bulk (a, b) VALUES (?, ?)': (db, [a, b]) => db.bulk.add({ a: Number(a), b: String(b) }),
  'DELETE FROM bulk': (db) => db.bulk.clear(),
  'SELECT count(*) AS n FROM bulk': async (db) => ({ n: await db.bulk.count() }),
  // bench-page's first query after opening.
  'SELECT count(*) AS n FROM sqlite_schema': async (db) => ({ n: db.tables.length }),
};

function operation(sql: string): Operation {
  const op = OPERATIONS[sql.trim()];
  if (!op) throw new Error(`the Dexie contender has no mapping for: ${sql}`);
  return op;
}

installBenchPage(async (name) => {
  const db = new Dexie(`bench-dexie-${name}`, { chromeTransactionDurability: 'strict' }) as Dexie & Tables;
  db.version(1).stores({ items: '++id', bulk: '++id' });
  await db.open();
  return {
    subject: {
      // The schema is Dexie's version(1).stores() above.
      exec: async (sql) => {
        if (!sql.includes('CREATE TABLE')) await operation(sql)(db, []);
      },
      run: async (sql, params) => {
        await operation(sql)(db, params);
      },
      get: (sql, params) => operation(sql)(db, params),
      batch: (statements: Statement[]) =>
        db.transaction('rw', db.items, db.bulk, async () => {
          let i = 0;
          while (i < statements.length) {
            const sql = statements[i]!.sql;
            let end = i;
            while (end < statements.length && statements[end]!.sql === sql) end++;
            if (sql === 'INSERT INTO bulk (a, b) VALUES (?, ?)') {
              await db.bulk.bulkAdd(statements.slice(i, end).map(({ params: [a, b] }) => ({ a: Number(a), b: String(b) })));
            } else if (sql === 'INSERT INTO items (tab, n, body) VALUES (?, ?, ?)') {
              await db.items.bulkAdd(
                statements.slice(i, end).map(({ params: [tab, n, body] }) => ({ tab: String(tab), n: Number(n), body: String(body) })),
              );
            } else {
              for (let j = i; j < end; j++) await operation(sql)(db, statements[j]!.params);
            }
            i = end;
          }
        }),
    },
    settings: async () => ({ vfs: `IndexedDB (Dexie ${Dexie.semVer})`, journalMode: '-', synchronous: 'durability=strict' }),
    close: async () => db.close(),
  };
});
