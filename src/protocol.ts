import type { PackedResults, PackedStatements } from './batch-wire.ts';
import type { ChangeNotice } from './change-notice.ts';
import type { Durability, LeaderChange, QueryResult, Row, RowMode, RunResult, SqlParams, SqlValue, Status, Storage } from './types.ts';

/**
 * The wire format: what travels between a page, its worker and the leader worker. One request
 * per call, as a discriminated union, so each hop can validate it and the leader can tell writes
 * from the rest; the reply of each op is derived from the op.
 */

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
  /**
   * The schema version (applied migrations) the calling tab's code knows. The leader refuses the
   * request (SCHEMA_CHANGED) when the database is at a newer one. Absent: not checked (a tab
   * without migrations, one that continues on newer schemas, or the migration run itself).
   */
  schemaVersion?: number;
}

/** What each op carries besides the fields every request has. */
export interface Bodies {
  exec: { sql: string };
  run: { sql: string; params?: SqlParams };
  all: { sql: string; params?: SqlParams };
  get: { sql: string; params?: SqlParams };
  /** One statement with everything about it (columns, rows, changes, rowid); rows as arrays unless `rowMode` says 'object'. */
  query: { sql: string; params?: SqlParams; rowMode?: RowMode };
  /** With a `rowMode`, each result also carries its columns, and rows come in that mode. */
  batch: { statements: PackedStatements; rowMode?: RowMode };
  /** One run of a live query (db.watch): a read-only statement, answered with what it read and when. */
  snapshot: { sql: string; params?: SqlParams };
  export: Record<never, never>;
  import: { image: Uint8Array };
  begin: { txId: string };
  commit: { txId: string };
  rollback: { txId: string };
}

export type Op = keyof Bodies;

/** A request of op `O`. */
export type RequestOf<O extends Op> = RequestBase & { op: O } & Bodies[O];

export type Request = { [O in Op]: RequestOf<O> }[Op];

/** What each op answers (a batch: its results packed, see batch-wire.ts). */
export interface Replies {
  exec: undefined;
  run: RunResult;
  all: Row[];
  get: Row | undefined;
  query: QueryResult<SqlValue[]> | QueryResult<Row>;
  batch: PackedResults;
  snapshot: SnapshotReply;
  export: Uint8Array;
  import: undefined;
  begin: undefined;
  commit: undefined;
  rollback: undefined;
}

export type ReplyOf<O extends Op> = Replies[O];
export type Reply = Replies[Op];

/** A request of op `O` as its sender writes it: the fields every call gets are added on the way. */
export type RequestBody<O extends Op = Op> = Omit<RequestBase, 'requestId' | 'deadline'> & { op: O } & Bodies[O];

export const OPS: readonly Op[] = [
  'exec',
  'run',
  'all',
  'get',
  'query',
  'batch',
  'snapshot',
  'export',
  'import',
  'begin',
  'commit',
  'rollback',
];

/**
 * A live query's rows, the tables (and views) SQLite read to make them, and the commit they
 * reflect: every commit of leader `epoch` up to number `seq` (see change-notice.ts), none after.
 */
export interface SnapshotReply {
  rows: Row[];
  tables: string[];
  epoch: number;
  seq: number;
}

/**
 * A statement inside an interactive transaction. Unlike every other request it is never retried
 * after a worker or leader dies: its transaction died with it (TRANSACTION_ABORTED).
 */
export function isTransactionStatement(request: Request): boolean {
  return request.txId !== undefined && request.op !== 'begin' && request.op !== 'commit' && request.op !== 'rollback';
}

/** What a page tells its worker when it opens a database. */
export interface WorkerConfig {
  name: string;
  /** 'auto' = OPFS with Web Locks where both exist, else IndexedDB with a fallback event. */
  storage: Storage | 'auto';
  /** This tab's id, stable for the life of the Database object. */
  tabId: string;
  durability: Durability;
  /** The cross-tab protocol version the page speaks (channels.ts): its worker speaks the same. */
  protocolVersion: number;
}

/** How the open went, for the page. */
export interface OpenInfo {
  storage: Storage;
  /** Set when 'auto' could not use OPFS: why (the data is in `storage` instead). */
  fallbackReason?: string;
  /** Set when the leader speaks another version of the cross-tab protocol, which this tab cannot talk to. */
  leaderProtocol?: number;
}

/**
 * Events the worker raises to its page; the leader's peer id lets a follower page reach it
 * directly. A private (in-memory) database's change notices come this way too: no other tab may hear them.
 */
export type WorkerEvent = ({ type: 'leaderchange'; leaderPeerId: string | null } & LeaderChange) | { type: 'change'; notice: ChangeNotice };

/**
 * How a worker event travels: on the worker's own port, among the replies (comlink ignores a
 * message without an id), not on a port of its own. Messages of one port keep their order, those
 * of two ports need not: Firefox delivered a private database's change notice after the reply
 * to the write that made it, so a `change` listener added once the write returned heard it.
 */
export interface WorkerEventMessage {
  readonly workerEvent: WorkerEvent;
}

export function workerEventOf(data: unknown): WorkerEvent | undefined {
  const event = (data as Partial<WorkerEventMessage> | null)?.workerEvent;
  return typeof event === 'object' && event !== null ? event : undefined;
}

/** A worker's view for `status()`; the page adds how its own calls travel. */
export type WorkerStatus = Omit<Status, 'path'>;
