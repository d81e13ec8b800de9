import type { Database, Sqlite3Static } from '@sqlite.org/sqlite-wasm';
import { SqliteError } from '../../src/errors.ts';
import type { Connection } from './connection.ts';

/**
 * Database images in and out: `db.export()` and `db.import(bytes)`. An image is checked in full
 * (header, then SQLite's integrity_check on an in-memory copy) before anything touches the real
 * database, and it goes in through SQLite's backup API, which writes the destination in one
 * transaction: a failed or interrupted import leaves the old database as it was.
 */

const HEADER = 'SQLite format 3\u0000';

/** Bytes 18 and 19 say WAL (2) or rollback journal (1); an image leaves as, and is read as, 1. */
function asRollbackJournal(image: Uint8Array): Uint8Array {
  if (image[18] !== 2 && image[19] !== 2) return image;
  const copy = image.slice();
  copy[18] = 1;
  copy[19] = 1;
  return copy;
}

function sqliteError(sqlite3: Sqlite3Static, e: unknown): SqliteError {
  if (e instanceof SqliteError) return e;
  const rc = (e as { resultCode?: unknown }).resultCode;
  const code = typeof rc === 'number' ? sqlite3.capi.sqlite3_js_rc_str(rc) : undefined;
  return new SqliteError(
    (code ?? 'SQLITE_CORRUPT') as `SQLITE_${string}`,
    `the image cannot be read: ${String((e as Error).message)}`,
    typeof rc === 'number' ? rc : undefined,
  );
}

/** Opens `image` as an in-memory database after checking it is a whole, sound SQLite file. */
export function openImage(sqlite3: Sqlite3Static, image: Uint8Array): Database {
  const { capi, wasm } = sqlite3;
  const header = new TextDecoder().decode(image.subarray(0, HEADER.length));
  if (image.byteLength < 512 || header !== HEADER) {
    throw new SqliteError('SQLITE_NOTADB', 'the image is not an SQLite database (its header is missing)', capi.SQLITE_NOTADB);
  }
  const db = new sqlite3.oo1.DB(':memory:', 'c');
  try {
    const bytes = asRollbackJournal(image);
    const pointer = wasm.allocFromTypedArray(bytes);
    const rc = capi.sqlite3_deserialize(
      db,
      'main',
      pointer,
      bytes.byteLength,
      bytes.byteLength,
      capi.SQLITE_DESERIALIZE_FREEONCLOSE | capi.SQLITE_DESERIALIZE_RESIZEABLE,
    );
    if (rc !== 0)
      throw new SqliteError((capi.sqlite3_js_rc_str(rc) ?? 'SQLITE_ERROR') as `SQLITE_${string}`, 'the image cannot be loaded', rc);
    const problems = db.exec({ sql: 'PRAGMA integrity_check', returnValue: 'resultRows', rowMode: 0 }) as unknown[];
    if (problems.length !== 1 || problems[0] !== 'ok') {
      throw new SqliteError('SQLITE_CORRUPT', `the image is corrupt: ${problems.slice(0, 3).join('; ')}`, capi.SQLITE_CORRUPT);
    }
    return db;
  } catch (e) {
    db.close();
    throw sqliteError(sqlite3, e);
  }
}

/** Replaces the whole database behind `conn` with `source`, in one destination transaction. */
export function restoreInto(conn: Connection, source: Database): void {
  const { capi } = conn.sqlite3;
  const backup = capi.sqlite3_backup_init(conn.db, 'main', source, 'main');
  if (!backup) throw conn.toError({ resultCode: capi.sqlite3_errcode(conn.db), message: capi.sqlite3_errmsg(conn.db) });
  const rc = capi.sqlite3_backup_step(backup, -1);
  capi.sqlite3_backup_finish(backup);
  if (rc !== capi.SQLITE_DONE) throw conn.toError({ resultCode: rc, message: capi.sqlite3_errmsg(conn.db) });
}

/** The database as a plain SQLite file (rollback-journal header), readable by any SQLite. */
export function exportImage(conn: Connection): Uint8Array {
  try {
    return asRollbackJournal(conn.sqlite3.capi.sqlite3_js_db_export(conn.db));
  } catch (e) {
    throw conn.toError(e);
  }
}
