import type { Sqlite3Static } from '@sqlite.org/sqlite-wasm';
import { openHandle, opfsDirectory } from '../engine/shared-handles.ts';

/**
 * The reader worker's view of the database: the leader's main file, read-only, as it was at the
 * last checkpoint. The leader writes its commits to the WAL and, while the reader reads, runs no
 * checkpoint (file-freeze.ts), so this file does not change under a read. The WAL is not shown:
 * the file's header says WAL mode, which without shared memory this connection could not open,
 * so page 1 is shown as a rollback-journal database's (bytes 18 and 19 are 1, as SQLite writes
 * them when it leaves WAL mode) and no journal exists. The file is declared immutable: SQLite takes
 * no locks and looks for no changes.
 *
 * The file is the one opfs-sahpool keeps for the database: a file of the pool's `.opaque` folder
 * whose 4096-byte header names it (its path, then its open flags as a big-endian 32-bit number).
 */

export const READER_VFS = 'sqlite-baton-reader';
/** opfs-sahpool's header before a file's data. */
const POOL_HEADER = 4096;
const POOL_PATH_BYTES = 512;
/** Page 1's file format write and read versions: 2 for WAL, 1 for a rollback journal. */
const FORMAT_VERSIONS_AT = 18;

/** SQLite's result codes used here (sqlite3.h); the generated capi types know them as literals. */
const SQLITE_OK = 0;
const SQLITE_READONLY = 8;
const SQLITE_CANTOPEN = 14;
const SQLITE_NOTFOUND = 12;
const SQLITE_IOERR = 10;
const SQLITE_IOERR_SHORT_READ = SQLITE_IOERR | (2 << 8);
const SQLITE_IOERR_DELETE = SQLITE_IOERR | (10 << 8);
const SQLITE_OPEN_MAIN_DB = 0x100;
const SQLITE_IOCAP_IMMUTABLE = 0x2000;

/**
 * Opens the access handle of `path`'s file in the opfs-sahpool folder `directory`, in the shared
 * mode the leader holds it in (shared-handles.ts). Undefined when no file of the pool is that one.
 */
export async function openPoolFile(directory: string, path: string): Promise<FileSystemSyncAccessHandle | undefined> {
  const folder = await opfsDirectory(`${directory}/.opaque`);
  const header = new Uint8Array(POOL_PATH_BYTES + 4);
  const view = new DataView(header.buffer);
  const wanted = new TextEncoder().encode(path);
  for await (const entry of (folder as unknown as { values(): AsyncIterable<FileSystemHandle> }).values()) {
    if (entry.kind !== 'file') continue;
    const handle = await openHandle(entry as FileSystemFileHandle, 'readwrite-unsafe');
    const read = handle.read(header, { at: 0 });
    const named = read === header.length && header[wanted.length] === 0 && wanted.every((b, i) => header[i] === b);
    if (named && (view.getUint32(POOL_PATH_BYTES) & SQLITE_OPEN_MAIN_DB) !== 0) return handle;
    handle.close();
  }
  return undefined;
}

/** The reader's VFS, installed once per reader worker; `use` points it at the file to show. */
export class ReaderVfs {
  private handle: FileSystemSyncAccessHandle | undefined;

  constructor(
    private readonly sqlite3: Sqlite3Static,
    /** The one path the VFS opens: the database's path in its pool. */
    private readonly path: string,
  ) {
    const { capi, wasm } = sqlite3;
    const heap = () => wasm.heap8u();
    const io = new capi.sqlite3_io_methods();
    // The generated types miss these members' `$` names.
    (io as unknown as { $iVersion: number }).$iVersion = 1;
    const ioMethods = {
      xClose: () => SQLITE_OK,
      xRead: (_file: number, dest: number, n: number, offset: bigint | number): number => {
        const handle = this.handle;
        if (!handle) return SQLITE_IOERR;
        const at = Number(offset);
        const target = heap().subarray(Number(dest), Number(dest) + n);
        let read: number;
        try {
          read = handle.read(target, { at: POOL_HEADER + at });
        } catch {
          return SQLITE_IOERR;
        }
        // Shown as a rollback-journal database: see the top of this file.
        for (const i of [FORMAT_VERSIONS_AT, FORMAT_VERSIONS_AT + 1]) {
          if (i >= at && i < at + read && target[i - at] === 2) target[i - at] = 1;
        }
        if (read < n) {
          target.fill(0, read);
          return SQLITE_IOERR_SHORT_READ;
        }
        return SQLITE_OK;
      },
      xWrite: () => SQLITE_READONLY,
      xTruncate: () => SQLITE_READONLY,
      xSync: () => SQLITE_OK,
      xFileSize: (_file: number, out: number): number => {
        if (!this.handle) return SQLITE_IOERR;
        wasm.poke64(out, BigInt(Math.max(0, this.handle.getSize() - POOL_HEADER)));
        return SQLITE_OK;
      },
      xLock: () => SQLITE_OK,
      xUnlock: () => SQLITE_OK,
      xCheckReservedLock: (_file: number, out: number): number => {
        wasm.poke32(out, 0);
        return SQLITE_OK;
      },
      xFileControl: () => SQLITE_NOTFOUND,
      xSectorSize: () => POOL_HEADER,
      xDeviceCharacteristics: () => SQLITE_IOCAP_IMMUTABLE,
    };
    sqlite3.vfs.installVfs({ io: { struct: io, methods: ioMethods as never } });

    const vfs = new capi.sqlite3_vfs();
    vfs.$iVersion = 2;
    vfs.$szOsFile = (capi.sqlite3_file as unknown as { structInfo: { sizeof: number } }).structInfo.sizeof;
    vfs.$mxPathname = POOL_PATH_BYTES;
    const fallback = capi.sqlite3_vfs_find(null);
    if (fallback) {
      const defaults = new capi.sqlite3_vfs(fallback);
      (vfs as unknown as { $xRandomness: number }).$xRandomness = (defaults as unknown as { $xRandomness: number }).$xRandomness;
      defaults.dispose();
    }
    const vfsMethods = {
      xOpen: (_vfs: number, name: number, file: number, flags: number, outFlags: number): number => {
        // The database itself, read-only; SQLite asks for nothing else of an immutable read-only file.
        if (!name || wasm.cstrToJs(name) !== this.path || (flags & SQLITE_OPEN_MAIN_DB) === 0) return SQLITE_CANTOPEN;
        const opened = new capi.sqlite3_file(file);
        opened.$pMethods = io.pointer!;
        opened.dispose();
        wasm.poke32(outFlags, capi.SQLITE_OPEN_READONLY);
        return SQLITE_OK;
      },
      xDelete: () => SQLITE_IOERR_DELETE,
      xAccess: (_vfs: number, _name: number, _flags: number, out: number): number => {
        // No journal, no WAL: see the top of this file.
        wasm.poke32(out, 0);
        return SQLITE_OK;
      },
      xFullPathname: (_vfs: number, name: number, size: number, out: number): number =>
        wasm.cstrncpy(out, name, size) < size ? SQLITE_OK : SQLITE_CANTOPEN,
      xGetLastError: () => SQLITE_OK,
      xSleep: () => SQLITE_OK,
      xCurrentTime: (_vfs: number, out: number): number => {
        wasm.poke(out, 2440587.5 + Date.now() / 864e5, 'double');
        return SQLITE_OK;
      },
      xCurrentTimeInt64: (_vfs: number, out: number): number => {
        wasm.poke(out, 210866760000000 + Date.now(), 'i64');
        return SQLITE_OK;
      },
      ...(fallback
        ? {}
        : {
            xRandomness: (_vfs: number, n: number, out: number): number => {
              crypto.getRandomValues(heap().subarray(out, out + n));
              return n;
            },
          }),
    };
    sqlite3.vfs.installVfs({ vfs: { struct: vfs, methods: vfsMethods as never, name: READER_VFS } });
  }

  /** The file to show from now on (the pool's file for the database). */
  use(handle: FileSystemSyncAccessHandle): void {
    this.handle = handle;
  }
}
