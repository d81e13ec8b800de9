import type { Database, Sqlite3Static } from '@sqlite.org/sqlite-wasm';
import type { Durability, Storage } from '../../src/types.ts';
import { Connection } from './connection.ts';
import { initSqlite } from './sqlite-init.ts';

/**
 * The engine seam: where the one connection comes from. The OPFS engine and the in-memory engine
 * differ only in how they open the file; everything above them (writer, request log, leader) is
 * the same code.
 */
export interface Engine {
  readonly storage: Storage;
  readonly connection: Connection;
  /** What `PRAGMA journal_mode` and `PRAGMA synchronous` really are, for status and benchmarks. */
  readonly journalMode: string;
  readonly synchronous: string;
  /** The main file's bytes as stored, for when SQLite cannot read them (OPFS only). */
  rawBytes?(): Uint8Array;
  close(): void;
}

let sqlite3Promise: Promise<Sqlite3Static> | undefined;

/**
 * Loads and instantiates sqlite-wasm once per worker (sqlite-init.ts): its console output
 * silenced, its unused VFSes off, a failure to load its wasm reported as OPEN_FAILED.
 */
export function loadSqlite(): Promise<Sqlite3Static> {
  sqlite3Promise ??= initSqlite();
  return sqlite3Promise;
}

/**
 * Wraps a freshly opened handle: settings every engine shares, then the connection. Defensive
 * mode and trusted_schema=OFF keep SQL from any tab from corrupting the file on purpose.
 */
export function connect(
  sqlite3: Sqlite3Static,
  db: Database,
  durability: Durability,
  persistent: boolean,
): Omit<Engine, 'storage' | 'close'> {
  const { capi } = sqlite3;
  capi.sqlite3_db_config(db, capi.SQLITE_DBCONFIG_DEFENSIVE, 1, 0);
  capi.sqlite3_db_config(db, capi.SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, 0);
  capi.sqlite3_db_config(db, capi.SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, 0);
  const connection = new Connection(sqlite3, db);
  if (persistent) {
    // One connection owns the file, so exclusive locking costs nothing, and it is what lets WAL
    // work without shared memory (no OPFS VFS has it). WAL + synchronous=FULL syncs the log at
    // every commit: an acknowledged write survives power loss. NORMAL syncs only at checkpoints.
    connection.control('PRAGMA locking_mode = EXCLUSIVE');
    connection.control('PRAGMA journal_mode = WAL');
    connection.control(`PRAGMA synchronous = ${durability === 'full' ? 'FULL' : 'NORMAL'}`);
  }
  const journalMode = String(connection.query('PRAGMA journal_mode', undefined).rows[0]?.journal_mode);
  const level = Number(connection.query('PRAGMA synchronous', undefined).rows[0]?.synchronous);
  const synchronous = ['OFF', 'NORMAL', 'FULL', 'EXTRA'][level] ?? String(level);
  return { connection, journalMode, synchronous };
}
