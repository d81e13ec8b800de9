/**
 * A: raw sqlite-wasm over `opfs-sahpool` inside this one worker. Whole workloads run here, with
 * no message per statement: the limit any library on this VFS can reach.
 *
 * Modes: `wal` (the library's pragmas: locking_mode=EXCLUSIVE, journal_mode=WAL,
 * synchronous=FULL), `rollback` (sqlite-wasm's defaults), and `engine`: sqlite-baton's own leader
 * code (worker/leader.ts: writer queue, request log, savepoints) called directly in this worker,
 * no messaging, to tell the library's engine overhead apart from its transport.
 *
 * Lives under /bench/isolated only for the 5 µs timer resolution of cross-origin isolated workers.
 */
import sqlite3InitModule, { type Database, type PreparedStatement, type Sqlite3Static } from '@sqlite.org/sqlite-wasm';
import { serve } from '../shared/worker-rpc.ts';
import { metered } from './io-meter.ts';
import { runWorkload, type Settings, type Statement, type Subject, type Value } from '../shared/workloads.ts';
import { openOpfsEngine, poolKey } from '../../worker/engine/opfs-engine.ts';
import { Leader, changeChannel } from '../../worker/cluster/leader.ts';
import { Connection } from '../../worker/engine/connection.ts';
import { tableChangeHook } from '../../worker/engine/table-change-hook.ts';
import { median } from '../shared/stats.ts';
import { encodeReply } from '../../worker/writer/reply-codec.ts';
import { forEachStatement, packResults, packStatements, unpackResults } from '../../src/batch-wire.ts';
import { checkRequest } from '../../worker/cluster/request-check.ts';
import type { Reply, Request } from '../../src/protocol.ts';
import type { BatchResult } from '../../src/types.ts';

type Mode = 'wal' | 'rollback' | 'engine';

const SYNCHRONOUS = ['OFF', 'NORMAL', 'FULL', 'EXTRA'];

// Isolation would make sqlite-wasm also install its SharedArrayBuffer VFSes (and start their
// proxy worker) at init; A uses neither, and sqlite-baton's worker, never isolated, does not pay for them.
(globalThis as { sqlite3ApiConfig?: unknown }).sqlite3ApiConfig = { disable: { vfs: { opfs: true, 'opfs-wl': true } } };

let subject: Subject | undefined;
let settings: Settings | undefined;
let closeDb: (() => void) | undefined;
let openSteps: Record<string, number> = {};

/** Raw oo1 calls with a prepared-statement cache: what a hand-written worker would do. */
function rawSubject(db: Database): Subject {
  const cache = new Map<string, PreparedStatement>();
  const prepared = (sql: string): PreparedStatement => {
    let stmt = cache.get(sql);
    if (!stmt) {
      stmt = db.prepare(sql);
      cache.set(sql, stmt);
    }
    return stmt;
  };
  const bind = (stmt: PreparedStatement, params: Value[]) => {
    if (params.length > 0) stmt.bind(params);
    return stmt;
  };
  closeDb = () => {
    for (const stmt of cache.values()) stmt.finalize();
    db.close();
  };
  return {
    exec: async (sql) => {
      db.exec(sql);
    },
    run: async (sql, params) => {
      bind(prepared(sql), params).stepReset();
    },
    get: async (sql, params) => {
      const stmt = bind(prepared(sql), params);
      try {
        return stmt.step() ? stmt.get({}) : undefined;
      } finally {
        stmt.reset();
      }
    },
    batch: async (statements: Statement[]) => {
      db.exec('BEGIN');
      try {
        for (const s of statements) bind(prepared(s.sql), s.params).stepReset();
        db.exec('COMMIT');
      } catch (e) {
        db.exec('ROLLBACK');
        throw e;
      }
    },
  };
}

async function openRaw(sqlite3: Sqlite3Static, name: string, mode: 'wal' | 'rollback'): Promise<void> {
  const key = poolKey(name);
  const pool = await sqlite3.installOpfsSAHPoolVfs({ name: `bench-${key}`, directory: `.bench-raw/${key}` });
  const db = new pool.OpfsSAHPoolDb('/database.sqlite3');
  if (mode === 'wal') {
    db.exec('PRAGMA locking_mode = EXCLUSIVE');
    db.exec('PRAGMA journal_mode = WAL');
    db.exec('PRAGMA synchronous = FULL');
  }
  const journalMode = String(db.selectValue('PRAGMA journal_mode'));
  const level = Number(db.selectValue('PRAGMA synchronous'));
  settings = { vfs: 'opfs-sahpool', journalMode, synchronous: SYNCHRONOUS[level] ?? String(level) };
  subject = rawSubject(db);
  const close = closeDb!;
  closeDb = () => {
    close();
    pool.pauseVfs();
  };
}

let nextId = 0;
function requestId(): string {
  return `bench-${Date.now().toString(36)}-${(nextId++).toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}

/** sqlite-baton's leader, called as its own tab would, minus every hop. */
async function openEngine(name: string): Promise<void> {
  const engine = await openOpfsEngine(name, 'full');
  const self = `bench-engine~0`;
  // Its change notices go out as a leader's do: posting them is part of the engine's cost.
  const leader = await Leader.start(name, self, engine, changeChannel(name), () => undefined);
  const send = (body: Record<string, unknown>): Promise<Reply> =>
    leader.execute(self, { ...body, requestId: requestId(), deadline: Date.now() + 30_000 } as Request);
  settings = { vfs: 'opfs-sahpool', journalMode: engine.journalMode, synchronous: engine.synchronous };
  subject = {
    exec: async (sql) => {
      await send({ op: 'exec', sql });
    },
    run: async (sql, params) => {
      await send({ op: 'run', sql, params });
    },
    get: (sql, params) => send({ op: 'get', sql, params }),
    batch: async (statements) => {
      await send({ op: 'batch', statements: packStatements(statements) });
    },
  };
  closeDb = () => leader.close();
}

/**
 * What SQLite's preupdate hook (live queries: which tables each commit wrote) costs the batch,
 * with the hook swapped under the connection: none, the library's (a wasm function that calls
 * into JS only when the table changes, table-change-hook.ts), and a plain JS function called for
 * every row. Interleaved and repeated, the median of each: the machine is shared.
 */
function hookCosts(sqlite3: Sqlite3Static, db: Database, run: () => number): Record<string, number> {
  const x = sqlite3.wasm.exports as unknown as { sqlite3_preupdate_hook(db: number, hook: number, ctx: number): number };
  const pointer = Number(db.pointer);
  const seen = new Set<number>();
  const wasmHook = sqlite3.wasm.installFunction(tableChangeHook((table) => seen.add(table)).hook, 'vppippjj');
  const jsHook = sqlite3.wasm.installFunction('vppippjj', (_c: number, _d: number, _o: number, _z: number, table: number) => {
    seen.add(table);
  });
  const variants = { hookNoneMs: 0, hookWasmMs: wasmHook, hookJsMs: jsHook };
  const times: Record<string, number[]> = {};
  try {
    for (let rep = 0; rep < 5; rep++) {
      for (const [name, hook] of Object.entries(variants)) {
        x.sqlite3_preupdate_hook(pointer, hook, 0);
        (times[name] ??= []).push(run());
      }
    }
  } finally {
    x.sqlite3_preupdate_hook(pointer, 0, 0);
    sqlite3.wasm.uninstallFunction(wasmHook);
    sqlite3.wasm.uninstallFunction(jsHook);
  }
  return Object.fromEntries(Object.entries(times).map(([name, values]) => [name, median(values)]));
}

function timed(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

/**
 * Where a big batch's time goes inside sqlite-baton's leader, step by step, on a private file:
 * SQLite alone; packing the statements and one structured clone of the request (what each hop
 * copies), against a clone of the statements unpacked; the request check; the library's Connection
 * layer (worker/connection.ts); packing the results, the text the request log stores for them
 * (worker/reply-codec.ts) and writing it; a clone of the packed and of the unpacked results; and
 * unpacking them in the page.
 */
async function profileBatch(name: string, rows: number): Promise<Record<string, number>> {
  const sqlite3 = await sqlite3InitModule();
  const key = poolKey(`${name}-profile`);
  const pool = await sqlite3.installOpfsSAHPoolVfs({ name: `bench-${key}`, directory: `.bench-raw/${key}` });
  const db = new pool.OpfsSAHPoolDb('/profile.sqlite3');
  let conn: Connection | undefined;
  try {
    db.exec('PRAGMA locking_mode = EXCLUSIVE; PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL');
    db.exec(
      'CREATE TABLE bulk (id INTEGER PRIMARY KEY, a INTEGER NOT NULL, b TEXT NOT NULL); CREATE TABLE log (id TEXT PRIMARY KEY, reply TEXT) WITHOUT ROWID',
    );
    const sql = 'INSERT INTO bulk (a, b) VALUES (?, ?)';
    const statements: Statement[] = [];
    for (let i = 0; i < rows; i++) statements.push({ sql, params: [i, `row ${i}`] });
    const out: Record<string, number> = {};

    out.sqliteMs = timed(() => {
      const stmt = db.prepare(sql);
      db.exec('BEGIN');
      for (const s of statements) stmt.bind(s.params).stepReset();
      db.exec('COMMIT');
      stmt.finalize();
    });
    db.exec('DELETE FROM bulk');

    // What each hop copies: the statements as the app gives them, and as the library packs them.
    out.plainRequestCloneMs = timed(() => structuredClone(statements));
    let packed = packStatements(statements);
    out.packMs = timed(() => {
      packed = packStatements(statements);
    });
    const request = { op: 'batch', statements: packed, requestId: requestId(), deadline: Date.now() + 30_000 };
    out.requestCloneMs = timed(() => structuredClone(request));
    out.checkMs = timed(() => checkRequest(request));

    conn = new Connection(sqlite3, db);
    const c = conn;
    let results: BatchResult[] = [];
    const insertAll = () => {
      results = [];
      c.control('BEGIN');
      forEachStatement(packed, (text, params) => results.push(c.query(text, params)));
      c.control('COMMIT');
    };
    out.connectionMs = timed(insertAll);
    Object.assign(
      out,
      hookCosts(sqlite3, db, () => {
        c.exec('DELETE FROM bulk');
        return timed(insertAll);
      }),
    );

    let reply = packResults(results);
    out.packResultsMs = timed(() => {
      reply = packResults(results);
    });
    let json = '';
    out.replyJsonMs = timed(() => {
      json = encodeReply(reply) ?? '';
    });
    out.replyJsonBytes = json.length;
    // Through the Connection: its authorizer refuses a bare BEGIN from outside the library.
    out.replyWriteMs = timed(() => {
      c.control('BEGIN');
      c.query('INSERT INTO log (id, reply) VALUES (?, ?)', ['x', json]);
      c.control('COMMIT');
    });
    out.plainReplyCloneMs = timed(() => structuredClone(results));
    out.replyCloneMs = timed(() => structuredClone(reply));
    out.unpackMs = timed(() => unpackResults(reply));
    return out;
  } finally {
    if (conn) conn.close();
    else db.close();
    pool.pauseVfs();
  }
}

/**
 * What sqlite-baton's exactly-once record adds to one durable write, in plain SQL on a private
 * file: the same autocommit INSERT, then the same INSERT the way the writer runs it (BEGIN,
 * SAVEPOINT, look up the request id, the INSERT, record the id and reply, RELEASE, COMMIT).
 */
async function profileWrite(name: string, count: number): Promise<Record<string, number>> {
  const sqlite3 = await sqlite3InitModule();
  const key = poolKey(`${name}-write-profile`);
  const pool = await sqlite3.installOpfsSAHPoolVfs({ name: `bench-${key}`, directory: `.bench-raw/${key}` });
  const db = new pool.OpfsSAHPoolDb('/profile.sqlite3');
  const statements: PreparedStatement[] = [];
  const prepare = (sql: string) => {
    const stmt = db.prepare(sql);
    statements.push(stmt);
    return stmt;
  };
  try {
    db.exec('PRAGMA locking_mode = EXCLUSIVE; PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL');
    db.exec(`CREATE TABLE items (id INTEGER PRIMARY KEY, tab TEXT NOT NULL, n INTEGER NOT NULL, body TEXT NOT NULL);
      CREATE TABLE log (id TEXT PRIMARY KEY, reply TEXT, expires INTEGER NOT NULL) WITHOUT ROWID;
      CREATE INDEX log_expires ON log (expires);`);
    const insert = prepare('INSERT INTO items (tab, n, body) VALUES (?, ?, ?)');
    const find = prepare('SELECT reply FROM log WHERE id = ?');
    const record = prepare('INSERT INTO log (id, reply, expires) VALUES (?, ?, ?)');
    const control = Object.fromEntries(['BEGIN', 'SAVEPOINT r', 'RELEASE r', 'COMMIT'].map((sql) => [sql, prepare(sql)]));
    const body = 'x'.repeat(100);
    // Interleaved, so that both see the same file and WAL sizes.
    let plain = 0;
    let withLog = 0;
    for (let i = 0; i < count; i++) {
      plain += timed(() => insert.bind(['p', i, body]).stepReset());
      withLog += timed(() => {
        const id = requestId();
        control.BEGIN!.stepReset();
        control['SAVEPOINT r']!.stepReset();
        find.bind([id]).stepReset();
        insert.bind(['l', i, body]).stepReset();
        record.bind([id, JSON.stringify({ changes: 1, lastInsertRowid: i }), Date.now() + 330_000]).stepReset();
        control['RELEASE r']!.stepReset();
        control.COMMIT!.stepReset();
      });
    }
    // Group commit: 8 writes per transaction, as the writer runs them when 8 tabs write at once.
    // Each variant is timed and its WAL frames (pages written) counted per commit: random ids
    // (what the library sent up to 0.1) put each record on its own leaf of the log; ids that start
    // with their expiry time share the rightmost leaf and let pruning go by the key, with no index.
    db.exec(`CREATE TABLE keyed_log (id TEXT PRIMARY KEY, reply TEXT) WITHOUT ROWID;`);
    const keyedFind = prepare('SELECT reply FROM keyed_log WHERE id = ?');
    const keyedRecord = prepare('INSERT INTO keyed_log (id, reply) VALUES (?, ?)');
    const framesInWal = () => {
      // A TRUNCATE checkpoint reports 0 frames, so count with PASSIVE first.
      const row = db.selectArray('PRAGMA wal_checkpoint(PASSIVE)') as number[];
      db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
      return row[1] ?? 0;
    };
    db.exec('PRAGMA wal_autocheckpoint = 0');
    framesInWal();
    const groups = Math.max(1, Math.floor(count / 8));
    let ordered = 0;
    const group = (ids: () => string, keyed: boolean) =>
      timed(() => {
        control.BEGIN!.stepReset();
        for (let j = 0; j < 8; j++) {
          const id = ids();
          control['SAVEPOINT r']!.stepReset();
          (keyed ? keyedFind : find).bind([id]).stepReset();
          insert.bind(['g', j, body]).stepReset();
          const reply = JSON.stringify({ changes: 1, lastInsertRowid: j });
          if (keyed) keyedRecord.bind([id, reply]).stepReset();
          else record.bind([id, reply, Date.now() + 330_000]).stepReset();
          control['RELEASE r']!.stepReset();
        }
        control.COMMIT!.stepReset();
      });
    const randomId = () => Math.random().toString(36).slice(2) + Math.random().toString(36).slice(2);
    const keyedId = () => `${(Date.now() + 330_000).toString(36).padStart(9, '0')}${(ordered++).toString(36).padStart(6, '0')}`;
    const variants: Record<string, () => number> = {
      Plain: () =>
        timed(() => {
          control.BEGIN!.stepReset();
          for (let j = 0; j < 8; j++) insert.bind(['p', j, body]).stepReset();
          control.COMMIT!.stepReset();
        }),
      RandomIds: () => group(randomId, false),
      KeyedIds: () => group(keyedId, true),
    };
    const groupFigures: Record<string, number> = {};
    for (const [label, run] of Object.entries(variants)) {
      let ms = 0;
      for (let g = 0; g < groups; g++) ms += run();
      groupFigures[`group8${label}Ms`] = ms / groups / 8;
      groupFigures[`group8${label}Frames`] = framesInWal() / groups;
    }
    return {
      plainMs: plain / count,
      withLogMs: withLog / count,
      ...groupFigures,
    };
  } finally {
    for (const stmt of statements) stmt.finalize();
    db.close();
    pool.pauseVfs();
  }
}

function opened(): Subject {
  if (!subject) throw new Error('open first');
  return subject;
}

serve({
  async open(name: string, mode: Mode) {
    if (mode === 'engine') await openEngine(name);
    else {
      // Where a cold open goes: the wasm module's start, then the pool's access handles and the file.
      const t0 = performance.now();
      const sqlite3 = await sqlite3InitModule();
      const t1 = performance.now();
      await openRaw(sqlite3, name, mode);
      openSteps = { initMs: t1 - t0, poolAndOpenMs: performance.now() - t1 };
    }
    return settings;
  },
  openSteps: () => openSteps,
  get: (sql: string, params: Value[]) => opened().get(sql, params),
  workload: (name: string, args: unknown[]) =>
    name === 'profileBatch'
      ? profileBatch(String(args[0]), Number(args[1]))
      : name === 'profileWrite'
        ? profileWrite(String(args[0]), Number(args[1]))
        : name === 'metered'
          ? metered(() => runWorkload(opened(), String(args[0]), args.slice(1)))
          : runWorkload(opened(), name, args),
  close() {
    closeDb?.();
    closeDb = undefined;
    subject = undefined;
  },
});
