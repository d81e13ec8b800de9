import type { Database, Sqlite3Static } from '@sqlite.org/sqlite-wasm';
import { ioMethodsOf } from './io-methods.ts';

/**
 * Which bytes of an in-memory database file (sqlite-wasm's `memdb`, what sqlite3_deserialize
 * makes) changed since they were last saved: the IndexedDB engine writes exactly those pages after
 * each commit. Found at the VFS's I/O methods, as write-combining.ts finds OPFS writes: every byte
 * SQLite puts in the file passes through xWrite, and every shrink through xTruncate, whatever the
 * statement (a commit, a rollback of spilled pages, VACUUM, the backup API of an import).
 *
 * memdb's I/O methods are one table for every memdb file of the worker (an image being checked,
 * too): only the files registered here are tracked.
 */

/** SQLite's smallest page size: changes are kept in units of it, whatever the database's page size. */
const UNIT = 512;

type Call = (...args: unknown[]) => number;

/** The changes to one file since they were last taken. */
export class FileChanges {
  private units = new Set<number>();
  /** The smallest size the file had since the last take: bytes past it came back zero-filled or rewritten. */
  private lowestSize = Number.POSITIVE_INFINITY;

  written(offset: number, bytes: number): void {
    for (let unit = Math.floor(offset / UNIT), last = Math.floor((offset + bytes - 1) / UNIT); unit <= last; unit++) this.units.add(unit);
  }

  truncated(size: number): void {
    this.lowestSize = Math.min(this.lowestSize, size);
  }

  /** True when nothing changed since the last take. */
  get clean(): boolean {
    return this.units.size === 0 && this.lowestSize === Number.POSITIVE_INFINITY;
  }

  /**
   * The indexes of the pages of `pageSize` bytes that changed, counting every page past the file's
   * smallest size since the last take up to `size`, and forgets them. `size` is the file's size now.
   */
  take(pageSize: number, size: number): number[] {
    const pages = new Set<number>();
    for (const unit of this.units) pages.add(Math.floor((unit * UNIT) / pageSize));
    const pageCount = Math.ceil(size / pageSize);
    for (let page = Math.floor(Math.min(this.lowestSize, size) / pageSize); page < pageCount; page++) pages.add(page);
    this.units = new Set();
    this.lowestSize = Number.POSITIVE_INFINITY;
    return [...pages].filter((page) => page < pageCount).sort((a, b) => a - b);
  }

  /** Takes nothing: what is in memory now is what was saved (after a reload). */
  forget(): void {
    this.units = new Set();
    this.lowestSize = Number.POSITIVE_INFINITY;
  }
}

const tracked = new Map<number, FileChanges>();
const hooked = new Set<number>();

/** The sqlite3_file of `db`'s main database: the key its I/O methods are called with. */
function mainFile(sqlite3: Sqlite3Static, db: Database): number {
  const { capi, wasm } = sqlite3;
  const stack = wasm.pstack.pointer;
  try {
    const out = wasm.pstack.allocPtr();
    if (capi.sqlite3_file_control(db, 'main', capi.SQLITE_FCNTL_FILE_POINTER, out) !== 0) return 0;
    return Number(wasm.peekPtr(out));
  } finally {
    wasm.pstack.restore(stack);
  }
}

/**
 * Starts tracking the changes to `db`'s main file, a memdb file whose bytes are all saved now.
 * Call again after anything that replaces the file (sqlite3_deserialize).
 */
export function trackChanges(sqlite3: Sqlite3Static, db: Database): FileChanges {
  const file = mainFile(sqlite3, db);
  const methods = ioMethodsOf(sqlite3, db);
  if (!file || !methods) throw new Error('the in-memory database has no file to track');
  if (!hooked.has(methods)) {
    install(sqlite3, methods);
    hooked.add(methods);
  }
  const changes = new FileChanges();
  tracked.set(file, changes);
  return changes;
}

function install(sqlite3: Sqlite3Static, methodsPtr: number): void {
  const { capi, wasm } = sqlite3;
  const methods = new capi.sqlite3_io_methods(methodsPtr);
  const original = (name: 'xWrite' | 'xTruncate' | 'xClose'): Call => {
    const pointer = (methods as unknown as Record<string, number>)[`$${name}`];
    const fn = pointer ? wasm.functionEntry(pointer) : undefined;
    if (!fn) throw new Error(`memdb has no ${name}`);
    return fn as Call;
  };
  const write = original('xWrite');
  const truncate = original('xTruncate');
  const close = original('xClose');
  methods.installMethod({
    xWrite(file: number, src: number, n: number, offset: bigint | number): number {
      const rc = write(file, src, n, offset);
      if (rc === 0) tracked.get(file)?.written(Number(offset), n);
      return rc;
    },
    xTruncate(file: number, size: bigint | number): number {
      const rc = truncate(file, size);
      if (rc === 0) tracked.get(file)?.truncated(Number(size));
      return rc;
    },
    xClose(file: number): number {
      tracked.delete(file);
      return close(file);
    },
  });
}
