import type { Database, Sqlite3Static } from '@sqlite.org/sqlite-wasm';
import { SqliteError } from '../../src/errors.ts';
import { randomId } from '../../src/ids.ts';
import type { Durability } from '../../src/types.ts';
import { faultHook } from '../fault-hook.ts';
import { trackChanges, type FileChanges } from './dirty-pages.ts';
import { connect, loadSqlite, type Engine } from './engine.ts';
import { deserialize, restoreInto } from './image.ts';
import { PageStore, StorageTaken, deleteStore } from './page-store.ts';

/**
 * The IndexedDB engine, for contexts without OPFS sync access handles (a page served over plain
 * http on a LAN address, some webviews and private modes). The database lives in memory in the
 * leader's worker (sqlite-wasm's memdb, filled from IndexedDB when the leader opens it); after each
 * commit the pages it changed go to IndexedDB in one transaction (page-store.ts), which completes
 * before any caller of that commit is answered (the writer awaits {@link Engine.afterCommit}).
 *
 * sqlite-wasm calls C synchronously, so SQLite cannot wait for IndexedDB inside COMMIT: SQLite
 * commits in memory (its journal in memory too), then the writer waits for the save before it
 * answers or starts anything else. If the worker dies in between, the commit is lost with it, and
 * so is every answer to it: nobody was told it happened, and the callers retry it at the next
 * leader, which finds IndexedDB as it was before that commit.
 *
 * A save that fails leaves memory ahead of IndexedDB: the engine reads the file back from IndexedDB
 * into the connection (SQLite's backup API, as an import does) before it reports the error, so
 * what the next caller sees is what IndexedDB holds. A save refused because another leader claimed
 * the file (StorageTaken) reports that instead: this leader must stop.
 */

function storageError(error: unknown): SqliteError {
  if (error instanceof SqliteError) return error;
  const name = (error as { name?: unknown } | null)?.name;
  const text = String((error as { message?: unknown } | null)?.message ?? error);
  if (name === 'QuotaExceededError') {
    return new SqliteError('QUOTA_EXCEEDED', "the origin's storage quota is used up; the commit was not saved and applied nothing");
  }
  return new SqliteError('SQLITE_IOERR', `IndexedDB could not save the commit (${String(name)}: ${text}); it applied nothing`, 10);
}

/** The main file of `db` as memdb holds it, without a copy: read it before anything else runs. */
function fileInMemory(sqlite3: Sqlite3Static, db: Database): Uint8Array {
  const { capi, wasm } = sqlite3;
  const stack = wasm.pstack.pointer;
  try {
    const sizeOut = wasm.pstack.alloc(8);
    const pointer = Number(capi.sqlite3_serialize(db, 'main', sizeOut, capi.SQLITE_SERIALIZE_NOCOPY));
    const size = Number(wasm.peek64(sizeOut));
    return pointer ? wasm.heap8u().subarray(pointer, pointer + size) : new Uint8Array();
  } finally {
    wasm.pstack.restore(stack);
  }
}

/** The page size written in a database file's header (bytes 16-17; 1 means 65536). */
function pageSizeOf(file: Uint8Array): number {
  const size = (file[16]! << 8) | file[17]!;
  return size === 1 ? 65536 : size;
}

export async function openIndexedDBEngine(name: string, durability: Durability): Promise<Engine> {
  const sqlite3 = await loadSqlite();
  let store: PageStore;
  let image: Uint8Array;
  // A token of this opening: the file's owner until another leader claims it.
  const token = randomId(16);
  try {
    store = await PageStore.open(name);
  } catch (e) {
    throw new SqliteError('OPEN_FAILED', `could not open "${name}" in IndexedDB: ${String((e as Error)?.message ?? e)}`);
  }
  try {
    image = await store.claim(token);
  } catch (e) {
    store.close();
    throw new SqliteError('OPEN_FAILED', `could not read "${name}" from IndexedDB: ${String((e as Error)?.message ?? e)}`);
  }
  const db = new sqlite3.oo1.DB(':memory:', 'c');
  let opened: ReturnType<typeof connect>;
  let changes: FileChanges;
  try {
    deserialize(sqlite3, db, image);
    changes = trackChanges(sqlite3, db);
    opened = connect(sqlite3, db, durability, false);
    // One connection owns the file: exclusive locking keeps SQLite from rewriting page 1's change
    // counter at every commit, one page of the three a single-row write saves.
    opened.connection.control('PRAGMA locking_mode = EXCLUSIVE');
  } catch (e) {
    db.close();
    store.close();
    throw e;
  }
  /** Set when memory could not be brought back in line with IndexedDB: this engine may not go on. */
  let broken = false;

  /** After a failed save: the file as IndexedDB has it, into the connection. */
  const reload = async (): Promise<void> => {
    const saved = await store.read();
    const source = new sqlite3.oo1.DB(':memory:', 'c');
    try {
      deserialize(sqlite3, source, saved);
      restoreInto(opened.connection, source);
    } finally {
      source.close();
    }
    changes.forget();
  };

  const save = async (file: Uint8Array, pages: number[]): Promise<void> => {
    try {
      const saving = store.save(token, file, pages, pageSizeOf(file), durability);
      faultHook?.('in-save', 'storage');
      await saving;
      faultHook?.('after-save', 'storage');
    } catch (e) {
      if (e instanceof StorageTaken) {
        broken = true;
        throw e;
      }
      try {
        await reload();
      } catch {
        broken = true;
        throw new StorageTaken();
      }
      throw storageError(e);
    }
  };

  return {
    storage: 'indexeddb',
    ...opened,
    afterCommit(): Promise<void> | undefined {
      if (broken) return Promise.reject(new StorageTaken());
      if (changes.clean) return undefined;
      const file = fileInMemory(sqlite3, db);
      // The pages are copied out of wasm memory by save() before its first await.
      return save(file, changes.take(pageSizeOf(file), file.byteLength));
    },
    owns: () => store.owns(token),
    close: () => {
      opened.connection.close();
      store.close();
    },
  };
}

/** What maintenance can do to a database that no tab has open: read its file as saved, or delete it. */
export async function maintainIndexedDBFile(name: string, action: 'read' | 'delete'): Promise<Uint8Array | undefined> {
  if (action === 'delete') {
    await deleteStore(name);
    return undefined;
  }
  const store = await PageStore.open(name);
  try {
    return await store.read();
  } finally {
    store.close();
  }
}
