import { SqliteError } from '../../src/errors.ts';
import { hasIndexedDB } from '../../src/idb-requests.ts';
import type { Storage } from '../../src/types.ts';
import { opfsProblem } from './opfs-engine.ts';

/**
 * Where a database lives, decided once in the worker that opens it (options.ts documents the
 * choice for users). `'auto'` takes OPFS where both OPFS sync access handles and Web Locks exist
 * (the fastest, and the locks make a leader's death known at once), else IndexedDB, shared and
 * persistent like OPFS (with Web Locks where they exist, else with leases: locks.ts). A private
 * in-memory database is never a fallback: only `'memory'` gives one, and where nothing persistent
 * exists `'auto'` fails with STORAGE_UNAVAILABLE saying so.
 */

export interface StorageChoice {
  storage: Storage;
  /** Why `'auto'` did not get OPFS (set only then). */
  fallbackReason?: string;
}

function webLocksProblem(): string | undefined {
  return typeof navigator.locks === 'object' ? undefined : 'Web Locks are missing (navigator.locks)';
}

function indexedDBProblem(): string | undefined {
  return hasIndexedDB() ? undefined : 'IndexedDB is missing in this context';
}

export async function chooseStorage(asked: Storage | 'auto'): Promise<StorageChoice> {
  if (asked === 'memory') return { storage: 'memory' };
  if (asked === 'opfs') {
    const problem = await opfsProblem();
    if (problem !== undefined)
      throw new SqliteError('OPFS_UNAVAILABLE', `storage 'opfs' was asked for but OPFS cannot be used: ${problem}`);
    return { storage: 'opfs' };
  }
  const idbProblem = indexedDBProblem();
  if (asked === 'indexeddb') {
    if (idbProblem !== undefined) throw new SqliteError('STORAGE_UNAVAILABLE', `storage 'indexeddb' was asked for but ${idbProblem}`);
    return { storage: 'indexeddb' };
  }
  const problem = (await opfsProblem()) ?? webLocksProblem();
  if (problem === undefined) return { storage: 'opfs' };
  if (idbProblem === undefined) return { storage: 'indexeddb', fallbackReason: problem };
  throw new SqliteError(
    'STORAGE_UNAVAILABLE',
    `no persistent storage can be used here (OPFS: ${problem}; ${idbProblem}); ` +
      "pass storage: 'memory' for a private in-memory database, gone when the tab closes",
  );
}
