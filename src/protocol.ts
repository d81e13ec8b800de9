import type { PackedResults, PackedStatements } from './batch-wire.ts';

/**
 * What travels between a page, its worker and the leader worker: one request per call, as a
 * discriminated union, so each hop can validate it and the leader can tell writes from the rest.
 */

/** A value SQLite can store. Integers beyond 2^53 come back as bigint, blobs as Uint8Array. */
export type SqlValue = null | number | bigint | string | boolean | Uint8Array;

/** Positional (`?`, `?1`) or named (`:name`, `@name`, `$name`) parameters. */
export type SqlParams = readonly SqlValue[] | Readonly<Record<string, SqlValue>>;

/** The result of one statement that was run for its effect. */
export interface RunResult {
  /** Rows inserted, updated or deleted by the statement (0 for a read). */
  changes: number;
  /** The rowid of the most recent successful INSERT on the connection. */
  lastInsertRowid: number | bigint;
}

/** One statement's outcome in a batch. */
export interface BatchResult<Row = Record<string, SqlValue>> extends RunResult {
  rows: Row[];
}

/** One statement of a batch. */
export interface BatchStatement {
  sql: string;
  params?: SqlParams;
}

export type Row = Record<string, SqlValue>;

interface RequestBase {
  /**
   * Unique per call and kept across retries: the leader records it in the same transaction as the
   * write, so a retry after a leader change is answered from the record, never applied twice.
   */
  requestId: string;
  /** Absolute time (ms since epoch) after which the call must not start: the lock-wait deadline. */
  deadline: number;
  /** Set when the statement belongs to an interactive transaction. */
  txId?: string;
  /** How long the request may run in the leader before it is interrupted, in ms. */
  queryTimeout?: number;
}

export type Request =
  | (RequestBase & { op: 'exec'; sql: string })
  | (RequestBase & { op: 'run' | 'all' | 'get'; sql: string; params?: SqlParams })
  | (RequestBase & { op: 'batch'; statements: PackedStatements })
  | (RequestBase & { op: 'export' })
  | (RequestBase & { op: 'import'; image: Uint8Array })
  | (RequestBase & { op: 'begin'; txId: string })
  | (RequestBase & { op: 'commit'; txId: string })
  | (RequestBase & { op: 'rollback'; txId: string });

export type Op = Request['op'];

/**
 * A statement inside an interactive transaction. Unlike every other request it is never retried
 * after a worker or leader dies: its transaction died with it (TRANSACTION_ABORTED).
 */
export function isTransactionStatement(request: Request): boolean {
  return request.txId !== undefined && request.op !== 'begin' && request.op !== 'commit' && request.op !== 'rollback';
}

export const OPS: readonly Op[] = ['exec', 'run', 'all', 'get', 'batch', 'export', 'import', 'begin', 'commit', 'rollback'];

/** What each op answers (a batch: its results packed, see batch-wire.ts). */
export type Reply = undefined | RunResult | Row[] | Row | PackedResults | Uint8Array;

/** Where the data really lives. */
export type Storage = 'opfs' | 'memory';

/** `full`: every acknowledged write survives power loss. `relaxed`: survives a tab or browser crash. */
export type Durability = 'full' | 'relaxed';

/** What a page tells its worker when it opens a database. */
export interface WorkerConfig {
  name: string;
  /** 'auto' = OPFS when possible, else memory with a fallback event. */
  storage: Storage | 'auto';
  /** This tab's id, stable for the life of the Database object. */
  tabId: string;
  durability: Durability;
}

/** How the open went, for the page. */
export interface OpenInfo {
  storage: Storage;
  /** Set when OPFS was not available and memory was used instead. */
  fallbackReason?: string;
}

/** A snapshot of this tab's view of the database. */
export interface Status {
  role: 'leader' | 'follower';
  storage: Storage;
  /** This tab's id. */
  tabId: string;
  /** The leader's tab id, or null while a new leader is being elected. */
  leaderId: string | null;
  /** Grows at every change of leader; persisted in the database file. */
  epoch: number;
  /** Requests waiting for the writer in the leader's queue (known only to the leader; followers report the leader's). */
  queueDepth: number;
  /** True while an interactive transaction holds the writer. */
  inTransaction: boolean;
  /**
   * COMMITs of the current leader so far (a group of writes or a transaction each), and the write
   * calls they carried: committedWrites / commits is the mean group size of group commit.
   */
  commits: number;
  committedWrites: number;
}

/** Events the worker raises to its page. */
export type WorkerEvent =
  { type: 'leaderchange'; leaderId: string | null; epoch: number; role: 'leader' | 'follower' } | { type: 'fallback'; reason: string };
