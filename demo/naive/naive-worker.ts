/**
 * One naive writer: a dedicated worker with its OWN connection to the shared file, through
 * sqlite-wasm's multi-connection `opfs` VFS (`new sqlite3.oo1.OpfsDb(file)`), running the demo's
 * workload as plain SQL: BEGIN; SELECT max(seq) ...; INSERT ...; COMMIT. Several of these on one
 * file is how apps share a database between tabs without a leader; what they get is counted here.
 *
 * Protocol (page -> worker): open, go, count, close; (worker -> page): ready/failed, stats, done,
 * count, closed. Stats are cumulative, posted every 250 ms and at the end.
 */
import sqlite3InitModule, { type Database, type Sqlite3Static } from '@sqlite.org/sqlite-wasm';
import { Histogram, type HistogramPairs } from '../stats.ts';

export type NaiveCommand =
  | { t: 'open'; file: string; tab: string; setup: boolean; busyTimeout: number }
  | { t: 'go'; until: number; rate: number; rows: number }
  | { t: 'count' }
  | { t: 'close' };

export interface NaiveStats {
  calls: number;
  rows: number;
  errors: Record<string, number>;
  latency: HistogramPairs;
  lastError: string;
  /** Messages sqlite-wasm's VFS logged (warnings, errors), counted here instead of the console. */
  vfsMessages: number;
  lastVfsMessage: string;
}

export type NaiveReply =
  | { t: 'ready' }
  | { t: 'failed'; message: string }
  | { t: 'stats'; stats: NaiveStats }
  | { t: 'done'; stats: NaiveStats }
  | { t: 'count'; rows: number }
  | { t: 'closed' };

const POST_EVERY_MS = 250;

const stats = {
  calls: 0,
  rows: 0,
  errors: {} as Record<string, number>,
  latency: new Histogram(),
  lastError: '',
  vfsMessages: 0,
  lastVfsMessage: '',
};

// The opfs VFS reports lock trouble through sqlite-wasm's logger: keep it in the figures (the
// page shows the count and the last one) rather than flooding the console of the demo.
const capture = (...args: unknown[]) => {
  stats.vfsMessages++;
  stats.lastVfsMessage = args.map(String).join(' ').slice(0, 300);
};
(globalThis as { sqlite3ApiConfig?: object }).sqlite3ApiConfig = {
  warn: capture,
  error: capture,
  log: () => undefined,
  debug: () => undefined,
};

let sqlite3: Sqlite3Static | undefined;
let db: Database | undefined;
let tab = '';

function snapshot(): NaiveStats {
  return {
    calls: stats.calls,
    rows: stats.rows,
    errors: { ...stats.errors },
    latency: stats.latency.toPairs(),
    lastError: stats.lastError,
    vfsMessages: stats.vfsMessages,
    lastVfsMessage: stats.lastVfsMessage,
  };
}

function post(reply: NaiveReply): void {
  postMessage(reply);
}

function codeOf(error: unknown): string {
  const rc = (error as { resultCode?: unknown } | null)?.resultCode;
  if (typeof rc === 'number' && sqlite3) return sqlite3.capi.sqlite3_js_rc_str(rc) ?? `SQLITE_${rc}`;
  return error instanceof Error ? error.name : 'Error';
}

async function open(command: Extract<NaiveCommand, { t: 'open' }>): Promise<void> {
  sqlite3 = await sqlite3InitModule();
  if (!sqlite3.oo1.OpfsDb) {
    throw new Error('the opfs VFS is not available here (it needs SharedArrayBuffer: a cross-origin isolated page)');
  }
  tab = command.tab;
  db = new sqlite3.oo1.OpfsDb(command.file, 'c');
  // OpfsDb itself sets a 10 s busy timeout on every connection; the page sets it explicitly.
  db.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.round(command.busyTimeout))}`);
  if (command.setup) {
    db.exec(`
      CREATE TABLE IF NOT EXISTS writes (id INTEGER PRIMARY KEY, tab TEXT NOT NULL, seq INTEGER NOT NULL, at REAL NOT NULL, seen INTEGER);
      CREATE INDEX IF NOT EXISTS writes_tab_seq ON writes (tab, seq);
      DELETE FROM writes;
    `);
  }
}

/** One call of the workload: the same read-then-write transaction the demo's writers run. */
function transaction(connection: Database, seq: number, rows: number): void {
  connection.exec('BEGIN');
  try {
    const last = connection.selectValue('SELECT max(seq) FROM writes WHERE tab = ?', [tab]) as number | undefined;
    const values = Array(rows).fill('(?, ?, ?, ?)').join(', ');
    const params: Array<string | number | null> = [];
    for (let i = 0; i < rows; i++) params.push(tab, seq + i, Date.now(), last ?? null);
    connection.exec({ sql: `INSERT INTO writes (tab, seq, at, seen) VALUES ${values}`, bind: params });
    connection.exec('COMMIT');
  } catch (error) {
    try {
      connection.exec('ROLLBACK');
    } catch {
      // No transaction left to roll back (SQLite ended it, or BEGIN itself failed).
    }
    throw error;
  }
}

async function go(command: Extract<NaiveCommand, { t: 'go' }>): Promise<void> {
  const connection = db!;
  const interval = command.rate > 0 ? 1000 / command.rate : 0;
  let next = performance.now();
  let lastPost = performance.now();
  let seq = 1;
  while (Date.now() < command.until) {
    if (interval > 0) {
      const wait = next - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      next = Math.max(next + interval, performance.now());
      if (Date.now() >= command.until) break;
    }
    const started = performance.now();
    try {
      transaction(connection, seq, command.rows);
      stats.calls++;
      stats.rows += command.rows;
      stats.latency.record(performance.now() - started);
    } catch (error) {
      const code = codeOf(error);
      stats.errors[code] = (stats.errors[code] ?? 0) + 1;
      stats.lastError = `${code}: ${error instanceof Error ? error.message : String(error)}`;
    }
    seq += command.rows;
    if (performance.now() - lastPost >= POST_EVERY_MS) {
      lastPost = performance.now();
      post({ t: 'stats', stats: snapshot() });
      // Every SQL call above blocks this worker; let its message queue breathe once in a while.
      if (interval === 0) await new Promise((resolve) => setTimeout(resolve, 0));
    }
  }
  post({ t: 'done', stats: snapshot() });
}

onmessage = (event: MessageEvent<NaiveCommand>) => {
  const command = event.data;
  switch (command.t) {
    case 'open':
      open(command).then(
        () => post({ t: 'ready' }),
        (error: unknown) => post({ t: 'failed', message: `${codeOf(error)}: ${error instanceof Error ? error.message : String(error)}` }),
      );
      return;
    case 'go':
      void go(command);
      return;
    case 'count': {
      let rows = -1;
      try {
        rows = Number(db?.selectValue('SELECT count(*) FROM writes') ?? -1);
      } catch (error) {
        stats.lastError = `count: ${codeOf(error)}`;
      }
      post({ t: 'count', rows });
      return;
    }
    case 'close':
      try {
        db?.close();
      } finally {
        db = undefined;
        post({ t: 'closed' });
      }
      return;
  }
};
