import { invalidArgument } from './errors.ts';
import type { Durability, Storage } from './types.ts';

/** Options of {@link openDatabase}. */
export interface DatabaseOptions {
  /**
   * Where the data lives. Default: OPFS when this context can use it, else memory, announced
   * by `db.storage === 'memory'` and a `fallback` event. `'opfs'` fails with OPFS_UNAVAILABLE
   * instead of falling back; `'memory'` is a private in-memory database of this handle.
   */
  storage?: Storage;
  /**
   * How long a call may wait for the writer (another tab's transaction, a change of leader)
   * before it rejects with LOCK_TIMEOUT, in ms. Default 30,000; at most 2^31 - 1 (a timer's limit).
   */
  lockTimeout?: number;
  /**
   * `'full'` (default): an acknowledged write survives power loss (WAL, synchronous=FULL).
   * `'relaxed'`: it survives a tab or browser crash, and may be lost with the OS (synchronous=NORMAL).
   */
  durability?: Durability;
  /**
   * The longest one call may run in the leader, in ms, before it is interrupted (INTERRUPTED):
   * the leader serves every tab, so one runaway query must not freeze them all. Default 10,000.
   */
  queryTimeout?: number;
}

export interface ResolvedOptions {
  storage: Storage | 'auto';
  lockTimeout: number;
  durability: Durability;
  queryTimeout: number;
}

const DEFAULT_LOCK_TIMEOUT_MS = 30_000;
/**
 * Timers hold their delay in 32 bits: a longer one fires at once, so a wait for the writer or for
 * a leader would end immediately (or spin) instead of lasting. About 24.8 days.
 */
const MAX_LOCK_TIMEOUT_MS = 2 ** 31 - 1;
const DEFAULT_QUERY_TIMEOUT_MS = 10_000;
const KNOWN = new Set(['storage', 'lockTimeout', 'durability', 'queryTimeout']);

/** Checks every option up front; throws INVALID_ARGUMENT naming the bad field and the good values. */
export function resolveOptions(name: unknown, options: unknown): ResolvedOptions {
  if (typeof name !== 'string' || name.length === 0 || name.length > 200) {
    throw invalidArgument('name must be a non-empty string of at most 200 characters');
  }
  if (options === undefined) {
    return { storage: 'auto', lockTimeout: DEFAULT_LOCK_TIMEOUT_MS, durability: 'full', queryTimeout: DEFAULT_QUERY_TIMEOUT_MS };
  }
  if (typeof options !== 'object' || options === null) throw invalidArgument('options must be an object');
  const o = options as DatabaseOptions & Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!KNOWN.has(key)) throw invalidArgument(`unknown option "${key}"; known options: ${[...KNOWN].join(', ')}`);
  }
  if (o.storage !== undefined && o.storage !== 'opfs' && o.storage !== 'memory') {
    throw invalidArgument(`options.storage must be 'opfs' or 'memory', got ${JSON.stringify(o.storage)}`);
  }
  if (o.lockTimeout !== undefined && !(typeof o.lockTimeout === 'number' && o.lockTimeout > 0 && o.lockTimeout <= MAX_LOCK_TIMEOUT_MS)) {
    throw invalidArgument(
      `options.lockTimeout must be a positive number of milliseconds up to ${MAX_LOCK_TIMEOUT_MS} (about 24 days), got ${String(o.lockTimeout)}`,
    );
  }
  if (o.queryTimeout !== undefined && !(typeof o.queryTimeout === 'number' && o.queryTimeout > 0 && Number.isFinite(o.queryTimeout))) {
    throw invalidArgument(`options.queryTimeout must be a positive number of milliseconds, got ${String(o.queryTimeout)}`);
  }
  if (o.durability !== undefined && o.durability !== 'full' && o.durability !== 'relaxed') {
    throw invalidArgument(`options.durability must be 'full' or 'relaxed', got ${JSON.stringify(o.durability)}`);
  }
  return {
    storage: o.storage ?? 'auto',
    lockTimeout: o.lockTimeout ?? DEFAULT_LOCK_TIMEOUT_MS,
    durability: o.durability ?? 'full',
    queryTimeout: o.queryTimeout ?? DEFAULT_QUERY_TIMEOUT_MS,
  };
}
