import { invalidArgument } from './errors.ts';
import { checkMigrations } from './migrations/list.ts';
import type { Durability, Migration, Storage } from './types.ts';
import { checkWorkerSource, type WorkerSource } from './worker-start.ts';

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
  /**
   * Where this tab's worker comes from, for setups that cannot bundle it (a page without a
   * bundler, a library loaded from a CDN, a strict CSP): the URL of sqlite-baton's prebuilt
   * worker (`sqlite-baton/worker`: dist/worker.js, served with dist/sqlite3.wasm next to it, from
   * the page's own origin), or a function returning a new `Worker` that runs it. Default: the
   * package's own worker, which bundlers find and emit by themselves.
   *
   * @example
   * const db = await openDatabase('app.db', { worker: '/vendor/sqlite-baton/worker.js' });
   */
  worker?: WorkerSource;
  /**
   * The schema's migrations, oldest first; new ones are added at the end. `openDatabase` applies
   * the ones the database lacks, once across tabs, in one transaction, and resolves at the latest
   * version. Applied ones are recorded in `_baton_migrations`; `PRAGMA user_version` is their count.
   * See docs/migrations.md.
   */
  migrations?: readonly Migration[];
  /**
   * Open even when the database has migrations this tab's list lacks (newer code migrated it),
   * instead of rejecting SCHEMA_NEWER: for code that works on newer schemas. Default false.
   */
  allowNewerSchema?: boolean;
  /**
   * When another tab migrates the database after this one opened it, a `versionchange` event comes
   * and, with `'reject'` (default), this handle's calls reject SCHEMA_CHANGED from then on, unapplied,
   * until the tab reopens it. `'continue'`: calls go on (the event still comes).
   */
  onVersionChange?: 'reject' | 'continue';
}

export interface ResolvedOptions {
  storage: Storage | 'auto';
  lockTimeout: number;
  durability: Durability;
  queryTimeout: number;
  worker: WorkerSource | undefined;
  migrations: readonly Migration[] | undefined;
  allowNewerSchema: boolean;
  onVersionChange: 'reject' | 'continue';
}

const DEFAULT_LOCK_TIMEOUT_MS = 30_000;
/**
 * Timers hold their delay in 32 bits: a longer one fires at once, so a wait for the writer or for
 * a leader would end immediately (or spin) instead of lasting. About 24.8 days.
 */
const MAX_LOCK_TIMEOUT_MS = 2 ** 31 - 1;
const DEFAULT_QUERY_TIMEOUT_MS = 10_000;
const KNOWN = new Set([
  'storage',
  'lockTimeout',
  'durability',
  'queryTimeout',
  'worker',
  'migrations',
  'allowNewerSchema',
  'onVersionChange',
]);

/** Checks every option up front; throws INVALID_ARGUMENT naming the bad field and the good values. */
export function resolveOptions(name: unknown, options: unknown): ResolvedOptions {
  if (typeof name !== 'string' || name.length === 0 || name.length > 200) {
    throw invalidArgument('name must be a non-empty string of at most 200 characters');
  }
  if (options === undefined) {
    return {
      storage: 'auto',
      lockTimeout: DEFAULT_LOCK_TIMEOUT_MS,
      durability: 'full',
      queryTimeout: DEFAULT_QUERY_TIMEOUT_MS,
      worker: undefined,
      migrations: undefined,
      allowNewerSchema: false,
      onVersionChange: 'reject',
    };
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
  if (o.worker !== undefined) checkWorkerSource('options.worker', o.worker);
  const migrations = o.migrations === undefined ? undefined : checkMigrations(o.migrations);
  if (o.allowNewerSchema !== undefined && typeof o.allowNewerSchema !== 'boolean') {
    throw invalidArgument(`options.allowNewerSchema must be true or false, got ${String(o.allowNewerSchema)}`);
  }
  if (o.onVersionChange !== undefined && o.onVersionChange !== 'reject' && o.onVersionChange !== 'continue') {
    throw invalidArgument(`options.onVersionChange must be 'reject' or 'continue', got ${JSON.stringify(o.onVersionChange)}`);
  }
  for (const key of ['allowNewerSchema', 'onVersionChange'] as const) {
    if (o[key] !== undefined && migrations === undefined)
      throw invalidArgument(`options.${key} applies to migrations: give options.migrations too`);
  }
  return {
    storage: o.storage ?? 'auto',
    lockTimeout: o.lockTimeout ?? DEFAULT_LOCK_TIMEOUT_MS,
    durability: o.durability ?? 'full',
    queryTimeout: o.queryTimeout ?? DEFAULT_QUERY_TIMEOUT_MS,
    worker: o.worker,
    migrations,
    allowNewerSchema: o.allowNewerSchema ?? false,
    onVersionChange: o.onVersionChange ?? 'reject',
  };
}
