import type { Database } from '@sqlite.org/sqlite-wasm';
import { SqliteError } from '../../src/errors.ts';
import { transferableBuffers } from '../../src/large-values.ts';
import type { Reply, Request } from '../../src/protocol.ts';
import type { ReaderFile } from '../engine/engine.ts';
import { Connection } from '../engine/connection.ts';
import { loadSqlite } from '../engine/engine.ts';
import { apply } from '../writer/apply.ts';
import { ReaderVfs, READER_VFS, openPoolFile } from './reader-vfs.ts';

/**
 * The reader worker: a second connection, in a worker of its own started by the leader's worker,
 * that runs the reads the leader hands over (read-handoff.ts) while the leader goes on writing.
 * It reads the database file as the leader froze it (file-freeze.ts); each freeze is a
 * generation, and a read of a new generation opens the file anew (SQLite keeps no page of the
 * last one: an immutable file is never checked for changes).
 */

/** The name the leader gives this worker; the worker entry serves reads when it has it. */
export const READER_WORKER_NAME = 'sqlite-baton~reader';

/** From the leader. */
export type ToReader =
  { t: 'open'; file: ReaderFile } | { t: 'read'; id: number; generation: number; request: Request; lastInsertRowid: number | bigint };

/** To the leader. */
export type FromReader =
  | { t: 'ready' }
  | { t: 'failed'; message: string }
  | { t: 'reply'; id: number; reply: Reply }
  | { t: 'error'; id: number; code: string; message: string; resultCode?: number };

interface Open {
  conn: Connection;
  db: Database;
  generation: number;
}

/** Serves reads on `scope` (the reader worker's global scope) until the leader ends the worker. */
export function serveReads(scope: DedicatedWorkerGlobalScope): void {
  let vfs: ReaderVfs | undefined;
  let path = '';
  let open: Open | undefined;
  const post = (message: FromReader, transfer: Transferable[] = []) => scope.postMessage(message, transfer);

  const connection = async (generation: number): Promise<Connection> => {
    if (open?.generation === generation) return open.conn;
    open?.conn.close();
    open = undefined;
    const sqlite3 = await loadSqlite();
    const db = new sqlite3.oo1.DB(path, 'r', READER_VFS);
    // Sorts and temporary tables stay in memory: the VFS opens no file but the database.
    db.exec('PRAGMA temp_store = MEMORY; PRAGMA query_only = 1');
    open = { conn: new Connection(sqlite3, db), db, generation };
    return open.conn;
  };

  // One read at a time, in arrival order: the thread is the reader's only resource.
  let queue: Promise<void> = Promise.resolve();
  scope.onmessage = (event: MessageEvent<ToReader>) => {
    const message = event.data;
    queue = queue.then(async () => {
      if (message.t === 'open') {
        try {
          const sqlite3 = await loadSqlite();
          const handle = await openPoolFile(message.file.directory, message.file.path);
          if (!handle) throw new Error(`no file of ${message.file.directory} holds ${message.file.path}`);
          path = message.file.path;
          vfs = new ReaderVfs(sqlite3, path);
          vfs.use(handle);
          post({ t: 'ready' });
        } catch (e) {
          post({ t: 'failed', message: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
        }
        return;
      }
      const { id, generation, request, lastInsertRowid } = message;
      try {
        const conn = await connection(generation);
        // What the leader's connection would report to a read: its last insert, not this connection's.
        conn.sqlite3.capi.sqlite3_set_last_insert_rowid(open!.db, BigInt(lastInsertRowid));
        const reply = apply(conn, request);
        post({ t: 'reply', id, reply }, transferableBuffers(reply));
      } catch (e) {
        const error = e instanceof SqliteError ? e : new SqliteError('SQLITE_ERROR', e instanceof Error ? e.message : String(e));
        post({ t: 'error', id, code: error.code, message: error.message, resultCode: error.resultCode });
      }
    });
  };
}
