/**
 * D: the naive setup. Every tab starts a worker like this one, and each opens its own connection
 * to the same file through sqlite-wasm's multi-connection `opfs` VFS (SharedArrayBuffer, hence
 * COOP/COEP). Nothing coordinates the tabs but SQLite's file locks; everything is left at its
 * default (rollback journal, and the busy timeout of 10 s that sqlite-wasm's OpfsDb sets).
 */
import sqlite3InitModule, { type Database, type PreparedStatement } from '@sqlite.org/sqlite-wasm';
import { serve } from '../shared/worker-rpc.ts';
import type { Statement, Value } from '../shared/workloads.ts';

const SYNCHRONOUS = ['OFF', 'NORMAL', 'FULL', 'EXTRA'];

let db: Database | undefined;
const cache = new Map<string, PreparedStatement>();

function opened(): Database {
  if (!db) throw new Error('open first');
  return db;
}

function prepared(sql: string, params: Value[]): PreparedStatement {
  let stmt = cache.get(sql);
  if (!stmt) {
    stmt = opened().prepare(sql);
    cache.set(sql, stmt);
  }
  if (params.length > 0) stmt.bind(params);
  return stmt;
}

serve({
  async open(name: string) {
    const sqlite3 = await sqlite3InitModule();
    if (!sqlite3.oo1.OpfsDb) throw new Error('the opfs VFS is not available (is the page cross-origin isolated?)');
    db = new sqlite3.oo1.OpfsDb(`/bench-naive/${name}.sqlite3`, 'c');
    const level = Number(db.selectValue('PRAGMA synchronous'));
    return { vfs: 'opfs', journalMode: String(db.selectValue('PRAGMA journal_mode')), synchronous: SYNCHRONOUS[level] ?? String(level) };
  },
  exec(sql: string) {
    opened().exec(sql);
  },
  run(sql: string, params: Value[]) {
    prepared(sql, params).stepReset();
  },
  get(sql: string, params: Value[]) {
    const stmt = prepared(sql, params);
    try {
      return stmt.step() ? stmt.get({}) : undefined;
    } finally {
      stmt.reset();
    }
  },
  batch(statements: Statement[]) {
    const connection = opened();
    connection.exec('BEGIN IMMEDIATE');
    try {
      for (const s of statements) prepared(s.sql, s.params).stepReset();
      connection.exec('COMMIT');
    } catch (e) {
      connection.exec('ROLLBACK');
      throw e;
    }
  },
  close() {
    for (const stmt of cache.values()) stmt.finalize();
    cache.clear();
    db?.close();
    db = undefined;
  },
});
