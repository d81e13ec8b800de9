import type { Database, Sqlite3Static } from '@sqlite.org/sqlite-wasm';
import { ioMethodsOf } from './io-methods.ts';

/**
 * Tells SQLite that writes to OPFS files are power-safe overwrites (SQLITE_IOCAP_POWERSAFE_OVERWRITE):
 * a write changes the bytes written and no others in their sector. SQLite's unix and windows VFSes
 * assume the same by default of the disks OPFS files live on; sqlite-wasm's opfs-sahpool does not
 * say it, and without it a WAL commit with synchronous=FULL pads the log to a sector boundary
 * by writing its last frame again: a single-row commit appended two frames instead of one
 * (test/storage-calls.test.ts), and each storage call costs about 0.6 ms in a private window's
 * in-memory OPFS (bench: "storage calls per write").
 *
 * sqlite-wasm has no setting for it, so this replaces xDeviceCharacteristics in the pool's I/O
 * methods, which every file of the pool shares, through the main file's sqlite3_file. It must
 * run before the first statement: the WAL reads the flag when it is opened.
 */

const patched = new Set<number>();

export function declarePowersafeOverwrite(sqlite3: Sqlite3Static, db: Database): void {
  const { capi } = sqlite3;
  const methods = ioMethodsOf(sqlite3, db);
  if (!methods || patched.has(methods)) return;
  const characteristics = capi.SQLITE_IOCAP_UNDELETABLE_WHEN_OPEN | capi.SQLITE_IOCAP_POWERSAFE_OVERWRITE;
  new capi.sqlite3_io_methods(methods).installMethod('xDeviceCharacteristics', () => characteristics);
  patched.add(methods);
}
