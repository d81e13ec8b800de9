import { wrap } from 'comlink';
import { installErrorTransfer } from './error-transfer.ts';
import { invalidArgument } from './errors.ts';
import { batchedEndpoint } from './message-batch.ts';
import { checkWorkerSource, startWorker, type WorkerSource } from './worker-start.ts';
import type { WorkerApi } from '../worker/worker-api.ts';

/**
 * For a database no tab can open (SQLite says SQLITE_NOTADB or SQLITE_CORRUPT when opening it):
 * read its file as it is stored, to keep what can be read, or delete it to start again. Both wait
 * up to `lockTimeout` ms (default 5,000) for the database to be closed in every tab, then reject
 * with LOCK_TIMEOUT.
 */

/** Options of {@link readDatabaseFile} and {@link deleteDatabase}. */
export interface MaintenanceOptions {
  /** How long to wait for the database to be closed in every tab, in ms. Default 5,000. */
  lockTimeout?: number;
  /** Where the worker that does it comes from, as for openDatabase (see `DatabaseOptions.worker`). */
  worker?: WorkerSource;
}

async function maintain(name: string, action: 'read' | 'delete', options: MaintenanceOptions = {}): Promise<Uint8Array | undefined> {
  if (typeof name !== 'string' || name.length === 0) throw invalidArgument('name must be a non-empty string');
  if (typeof options !== 'object' || options === null) throw invalidArgument('options must be an object');
  const { lockTimeout = 5_000, worker: source } = options;
  if (!(typeof lockTimeout === 'number' && lockTimeout > 0)) throw invalidArgument('lockTimeout must be a positive number of milliseconds');
  if (source !== undefined) checkWorkerSource('options.worker', source);
  installErrorTransfer();
  // sqlite-wasm's OPFS pool needs sync access handles, which exist only in dedicated workers.
  const { worker, failed } = startWorker(source, `sqlite-baton maintenance ${name}`);
  try {
    return await Promise.race([wrap<WorkerApi>(batchedEndpoint(worker)).maintain(name, action, lockTimeout), failed]);
  } finally {
    worker.terminate();
  }
}

/** The stored bytes of database `name`'s file (empty if there is none), without opening it. */
export async function readDatabaseFile(name: string, options?: MaintenanceOptions): Promise<Uint8Array> {
  return (await maintain(name, 'read', options)) ?? new Uint8Array();
}

/** Deletes database `name` from OPFS; the next openDatabase(name) starts empty. */
export async function deleteDatabase(name: string, options?: MaintenanceOptions): Promise<void> {
  await maintain(name, 'delete', options);
}
