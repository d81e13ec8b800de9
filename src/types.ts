/** The public value and result types of sqlite-baton. The wire format is in protocol.ts. */

/** A value SQLite can store. Integers beyond 2^53 come back as bigint, blobs as Uint8Array. */
export type SqlValue = null | number | bigint | string | boolean | Uint8Array;

/** Positional (`?`, `?1`) or named (`:name`, `@name`, `$name`) parameters. */
export type SqlParams = readonly SqlValue[] | Readonly<Record<string, SqlValue>>;

/** A row as an object keyed by column name. */
export type Row = Record<string, SqlValue>;

/** The result of one statement that was run for its effect. */
export interface RunResult {
  /** Rows inserted, updated or deleted by the statement (0 for a read). */
  changes: number;
  /** The rowid of the most recent successful INSERT on the connection. */
  lastInsertRowid: number | bigint;
}

/** One statement's outcome in a batch. */
export interface BatchResult<R = Row> extends RunResult {
  rows: R[];
}

/** How rows come back: `'array'`, one array of values per row in column order; `'object'`, keyed by column name. */
export type RowMode = 'array' | 'object';

/**
 * Everything about one statement, from one round trip: what a driver (Drizzle, Kysely) needs.
 * `columns` are the result's column names in order, duplicates kept (`SELECT a.id, b.id` has two
 * `id`); with the default `rowMode: 'array'` each row has one value per column, in that order.
 */
export interface QueryResult<R = SqlValue[]> extends RunResult {
  columns: string[];
  rows: R[];
}

/** Options of `query`. */
export interface QueryOptions {
  /** `'array'` (default): rows as arrays, which keep duplicate column names apart. `'object'`: as `all` gives them. */
  rowMode?: RowMode;
}

/** Options of `batch`: with a `rowMode`, every statement's result is a {@link QueryResult} (columns included). */
export interface BatchOptions {
  rowMode?: RowMode;
}

/** One statement of a batch. */
export interface BatchStatement {
  sql: string;
  params?: SqlParams;
}

/** Where the data really lives. */
export type Storage = 'opfs' | 'memory';

/** `full`: every acknowledged write survives power loss. `relaxed`: survives a tab or browser crash. */
export type Durability = 'full' | 'relaxed';

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
  /**
   * How this tab's calls reach the leader: `'local'` when this tab's worker leads; `'direct'` when
   * this page talks to the leader's worker itself; `'forwarded'` through this tab's worker (while
   * a leader is being elected, or until the page has linked to it).
   */
  path: 'local' | 'direct' | 'forwarded';
}

/** Detail of the `leaderchange` event. */
export interface LeaderChange {
  /** The leader's tab id, or null while a new leader is being elected. */
  leaderId: string | null;
  epoch: number;
  /** This tab's role after the change. */
  role: 'leader' | 'follower';
}

/** Detail of the `fallback` event. */
export interface Fallback {
  /** Why OPFS could not be used, so the data lives in memory. */
  reason: string;
}

/** The events of a {@link Database}, by type. */
export interface DatabaseEventMap {
  leaderchange: CustomEvent<LeaderChange>;
  fallback: CustomEvent<Fallback>;
}
