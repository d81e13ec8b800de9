import type { Database, Sqlite3Static } from '@sqlite.org/sqlite-wasm';

/**
 * The sqlite3_io_methods of the file behind `db`'s main database: a VFS's one table of file
 * methods, shared by every file that VFS opens (here: one opfs-sahpool pool, so one database).
 * Returns 0 when SQLite cannot say.
 */
export function ioMethodsOf(sqlite3: Sqlite3Static, db: Database): number {
  const { capi, wasm } = sqlite3;
  const stack = wasm.pstack.pointer;
  try {
    const out = wasm.pstack.allocPtr();
    if (capi.sqlite3_file_control(db, 'main', capi.SQLITE_FCNTL_FILE_POINTER, out) !== 0) return 0;
    const file = Number(wasm.peekPtr(out));
    return file ? Number(wasm.peekPtr(file)) : 0;
  } finally {
    wasm.pstack.restore(stack);
  }
}
