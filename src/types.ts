/** The public value and result types of sqlite-baton. The wire format is in protocol.ts. */
import type { Transaction } from './transaction.ts';

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

/**
 * Detail of the `change` event: a commit, from any tab, changed these tables. Raised in every
 * tab, the committing one included, once the commit is durable.
 */
export interface ChangeDetail {
  /** The tables (and views, for DDL) the commit changed, as SQLite names them; every table after an `import()`. */
  tables: string[];
  /** The leader's epoch at the commit. */
  epoch: number;
  /** The commit's number under that leader: 1, 2, ... (0: the leader has just opened, and changed nothing). */
  seq: number;
  /**
   * True when this tab may have missed commits before this one (a gap in `seq`, or a new leader,
   * whose predecessor may have died between a commit and its notice): treat every table as changed.
   */
  missed: boolean;
}

/** What changed between two deliveries of a keyed live query (`{ key }`), matched by key. */
export interface RowsDiff<T = Row> {
  added: T[];
  removed: T[];
  /** The new versions of rows whose key was there before with other values. */
  changed: T[];
}

/** Called with a live query's rows: first the current result, then each result that differs from the last one. */
export type WatchListener<T = Row> = (rows: T[], diff: RowsDiff<T> | undefined) => void;

/** Options of `db.watch`. */
export interface WatchOptions<T = Row> {
  /**
   * Called when a run of the query fails (a SqliteError: the table does not exist yet, the SQL
   * is wrong, the listener threw...). The watch goes on, and runs again after the next change
   * anywhere in the database. The same failure twice in a row is reported once. Without it,
   * failures are reported like an exception in an event listener (`reportError`).
   */
  onError?: (error: unknown) => void;
  /**
   * A column name, or a function giving each row's key: the listener then also gets a
   * {@link RowsDiff}, and rows that did not change are the objects delivered before.
   */
  key?: string | ((row: T) => SqlValue);
  /** Stops the watch when aborted. */
  signal?: AbortSignal;
}

/**
 * Stops a live query: no more reads, no more calls of its listener or its `onError`. Safe to
 * call more than once. Also `using stop = db.watch(...)`.
 */
export interface Unwatch {
  (): void;
  [Symbol.dispose](): void;
}

declare global {
  interface SymbolConstructor {
    /**
     * The explicit resource management symbol (`using`), declared here so that this package's
     * types need no `esnext.disposable` lib; the same declaration as TypeScript's own.
     */
    readonly dispose: unique symbol;
  }
}

/**
 * A migration in SQL, run as one `exec` (several statements allowed) inside the run's transaction.
 * Its checksum is the SHA-256 of `sql` (line endings counted as `\n`): changing the text of an
 * applied migration is refused with MIGRATION_CHANGED.
 */
export interface SqlMigration {
  /** Unique in the list; recorded in `_baton_migrations`. Never rename an applied migration. */
  name: string;
  sql: string;
}

/**
 * A migration in code: `up` runs inside the run's transaction and must make every change through
 * `tx` (a `db` call would wait for the migration itself). A function's source text changes with
 * every minifier and bundler, so it is not checksummed: give `checksum` (any string you change
 * when the migration's meaning changes) to have edits of an applied migration refused.
 */
export interface FunctionMigration {
  name: string;
  up(tx: Transaction): Promise<void> | void;
  checksum?: string;
}

/** One step of `openDatabase`'s `migrations` list. */
export type Migration = SqlMigration | FunctionMigration;

/**
 * Detail of the `versionchange` event: another tab migrated the database past the version this
 * tab's code knows. Versions count applied migrations (`PRAGMA user_version`).
 */
export interface VersionChange {
  /** The schema version this tab's code knows (the length of its migration list). */
  oldVersion: number;
  /** The database's version now. */
  newVersion: number;
}

/** The events of a {@link Database}, by type. */
export interface DatabaseEventMap {
  leaderchange: CustomEvent<LeaderChange>;
  fallback: CustomEvent<Fallback>;
  change: CustomEvent<ChangeDetail>;
  /**
   * Another tab migrated the database (this one was opened with `migrations`): unless opened with
   * `onVersionChange: 'continue'`, this handle's calls now reject SCHEMA_CHANGED. Reload the tab.
   */
  versionchange: CustomEvent<VersionChange>;
}

/*
 * `db[Symbol.asyncDispose]` (and `Symbol.dispose` on handles) for apps whose TypeScript `lib` has
 * no `esnext.disposable` (the Vite templates' ES2023, for one) and no @types/node to bring it:
 * the two symbols declared as @types/node used to declare them, which merges with TypeScript's
 * own declaration where the app has it. The one place the public types declare globals.
 */
declare global {
  interface SymbolConstructor {
    readonly dispose: unique symbol;
    readonly asyncDispose: unique symbol;
  }
}
