import type { Database, Sqlite3Static } from '@sqlite.org/sqlite-wasm';
import { SqliteError, invalidArgument } from '../../src/errors.ts';

/**
 * What SQL from any tab may not do to the one connection every tab shares: end or open a
 * transaction that holds other tabs' writes, reach other files (ATTACH), change the pragmas the
 * durability promises rest on, build values past the size limits, or run forever. The library's
 * own statements pass the authorizer ({@link SqlGuards.asLibrary}).
 *
 * Savepoints are the one kind of transaction control a user may issue, and only where they nest
 * inside a transaction that belongs to that user alone: a statement of an interactive
 * transaction, run on its own ({@link SqlGuards.allowingSavepoints}). Anywhere else a SAVEPOINT
 * would open a transaction under the writer (in autocommit) or be released with the library's
 * own savepoint around a group's write or a batch.
 */

/** Pragmas the library owns: changing them would break its durability or locking promises. */
const OWNED_PRAGMAS = new Set(['journal_mode', 'locking_mode', 'synchronous', 'writable_schema', 'trusted_schema']);

/** Largest value (string or blob) and SQL text one call may make SQLite build. */
const MAX_VALUE_BYTES = 256 * 1024 * 1024;
const MAX_SQL_BYTES = 64 * 1024 * 1024;

/** Savepoint names the library uses itself (`SAVEPOINT baton_request`); SQLite compares them case-insensitively. */
const RESERVED_SAVEPOINT = /^baton_/i;

/**
 * What the authorizer saw while a statement was prepared (or prepared again by SQLite after a
 * schema change): the tables and views it reads, the tables and views its DDL creates, drops or
 * alters, and the transaction control it is.
 */
export interface Prepared {
  reads: Set<string>;
  schema: Set<string>;
  control?: Control;
}

/** A statement of transaction control, as SQLite itself parsed it. */
export type Control = { kind: 'begin' | 'commit' | 'rollback' } | { kind: 'savepoint' | 'release' | 'rollbackTo'; name: string };

function savepointRefused(): SqliteError {
  return invalidArgument(
    'SAVEPOINT, RELEASE and ROLLBACK TO are allowed only inside an interactive transaction, one statement per call ' +
      '(tx.run or tx.query, not exec or batch); use db.begin() or db.transaction(async (tx) => ...), and tx.savepoint(fn) to nest',
  );
}

export class SqlGuards {
  /** True while the library runs its own statements, which the authorizer lets through. */
  private library = false;
  /** Why the authorizer refused the statement being prepared, to replace SQLite's bare "not authorized". */
  private refusal: SqliteError | undefined;
  /** When the statement now running must stop (ms since epoch); checked by the progress handler. */
  private stopAt = Number.POSITIVE_INFINITY;
  private interruptedAfter: number | undefined;
  /** True while a statement of an interactive transaction runs on its own: savepoints are the user's then. */
  private savepointsAllowed = false;
  /** Set when the statement being prepared is a savepoint statement the authorizer let through. */
  private preparedSavepoint = false;
  /** True between {@link startObserving} and {@link stopObserving}; what was seen, if anything. */
  private observing = false;
  private observed: Prepared | undefined;

  constructor(
    private readonly sqlite3: Sqlite3Static,
    private readonly db: Database,
  ) {
    const { capi } = sqlite3;
    capi.sqlite3_set_authorizer(db, (_ctx, action, arg1, arg2, _db, inner) => this.authorize(action, arg1, arg2, inner), 0);
    // Every 1000 virtual machine steps SQLite asks whether to go on: that is how a runaway query
    // (an endless recursive CTE) is stopped without stopping the worker.
    capi.sqlite3_progress_handler(db, 1000, () => (Date.now() > this.stopAt ? 1 : 0), 0);
    // Bounds on what one call may make SQLite build, so one tab cannot exhaust the leader's memory.
    capi.sqlite3_limit(db, capi.SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES);
    capi.sqlite3_limit(db, capi.SQLITE_LIMIT_SQL_LENGTH, MAX_SQL_BYTES);
    capi.sqlite3_limit(db, capi.SQLITE_LIMIT_ATTACHED, 0);
  }

  private authorize(action: number, arg1: string | number | null, arg2: string | number | null, inner: string | number | null): number {
    const { capi } = this.sqlite3;
    if (this.observing) this.observe(action, arg1, arg2, inner);
    if (this.library) return 0;
    // Transaction control belongs to the writer: a user's COMMIT would end a transaction that
    // holds other tabs' writes.
    if (action === capi.SQLITE_SAVEPOINT) {
      if (typeof arg2 === 'string' && RESERVED_SAVEPOINT.test(arg2)) {
        this.refusal = invalidArgument(
          `savepoint names starting with "baton_" are reserved for sqlite-baton; choose another name than ${arg2}`,
        );
        return capi.SQLITE_DENY;
      }
      if (!this.savepointsAllowed) {
        this.refusal = savepointRefused();
        return capi.SQLITE_DENY;
      }
      this.preparedSavepoint = true;
      return 0;
    }
    if (action === capi.SQLITE_TRANSACTION) {
      this.refusal = invalidArgument(
        "BEGIN, COMMIT and ROLLBACK are the library's own: use db.begin() (then tx.commit() or tx.rollback()) or db.transaction(async (tx) => ...)",
      );
      return capi.SQLITE_DENY;
    }
    // ATTACH would let one tab's SQL reach files the leader owns.
    if (action === capi.SQLITE_ATTACH || action === capi.SQLITE_DETACH) {
      this.refusal = new SqliteError(
        'SQLITE_AUTH',
        'ATTACH and DETACH are refused: the leader owns every file this database uses',
        capi.SQLITE_AUTH,
      );
      return capi.SQLITE_DENY;
    }
    // Reading these pragmas is fine; setting them is what would break the guarantees.
    if (action === capi.SQLITE_PRAGMA && typeof arg1 === 'string' && arg2 && OWNED_PRAGMAS.has(arg1.toLowerCase())) {
      this.refusal = invalidArgument(`PRAGMA ${arg1} is managed by sqlite-baton (see the durability option)`);
      return capi.SQLITE_DENY;
    }
    return 0;
  }

  /**
   * Records what the authorizer sees until {@link stopObserving}: SQLite asks it while it prepares
   * a statement, and again while it runs one it must prepare anew (the schema changed).
   */
  startObserving(): void {
    this.observing = true;
    this.observed = undefined;
  }

  /** What was seen since {@link startObserving}, or undefined when SQLite prepared nothing meanwhile. */
  stopObserving(): Prepared | undefined {
    this.observing = false;
    const observed = this.observed;
    this.observed = undefined;
    return observed;
  }

  /** Sorts one authorizer call into what the statement reads, changes in the schema, or is. */
  private observe(action: number, arg1: string | number | null, arg2: string | number | null, inner: string | number | null): void {
    const { capi } = this.sqlite3;
    const seen = (this.observed ??= { reads: new Set(), schema: new Set() });
    switch (action) {
      case capi.SQLITE_READ:
        // A column of a table, read directly or through a view (`inner` names the view).
        if (typeof arg1 === 'string') seen.reads.add(arg1);
        if (typeof inner === 'string') seen.reads.add(inner);
        return;
      case capi.SQLITE_CREATE_TABLE:
      case capi.SQLITE_CREATE_TEMP_TABLE:
      case capi.SQLITE_DROP_TABLE:
      case capi.SQLITE_DROP_TEMP_TABLE:
      case capi.SQLITE_CREATE_VIEW:
      case capi.SQLITE_CREATE_TEMP_VIEW:
      case capi.SQLITE_DROP_VIEW:
      case capi.SQLITE_DROP_TEMP_VIEW:
      case capi.SQLITE_CREATE_VTABLE:
      case capi.SQLITE_DROP_VTABLE:
        if (typeof arg1 === 'string') seen.schema.add(arg1);
        return;
      case capi.SQLITE_ALTER_TABLE:
        if (typeof arg2 === 'string') seen.schema.add(arg2);
        return;
      case capi.SQLITE_TRANSACTION:
        if (arg1 === 'BEGIN') seen.control = { kind: 'begin' };
        else if (arg1 === 'COMMIT') seen.control = { kind: 'commit' };
        else if (arg1 === 'ROLLBACK') seen.control = { kind: 'rollback' };
        return;
      case capi.SQLITE_SAVEPOINT:
        if (typeof arg2 !== 'string') return;
        if (arg1 === 'BEGIN') seen.control = { kind: 'savepoint', name: arg2 };
        else if (arg1 === 'RELEASE') seen.control = { kind: 'release', name: arg2 };
        else if (arg1 === 'ROLLBACK') seen.control = { kind: 'rollbackTo', name: arg2 };
        return;
    }
  }

  /** Prepares before a user's statement: a refusal left from an earlier one must not be reported. */
  forgetRefusal(): void {
    this.refusal = undefined;
    this.preparedSavepoint = false;
  }

  /** True when the statement just prepared is a savepoint statement (which the cache must check again at each run). */
  preparedASavepoint(): boolean {
    return this.preparedSavepoint;
  }

  /**
   * Runs `fn`, a statement of an interactive transaction that runs on its own, with the user's
   * savepoints allowed.
   */
  allowingSavepoints<T>(fn: () => T): T {
    return this.withFlag('savepointsAllowed', fn);
  }

  /**
   * The authorizer runs when a statement is prepared, not when a cached one runs again: a
   * savepoint statement prepared inside an interactive transaction is checked here at each run.
   */
  checkSavepointHere(): void {
    if (!this.savepointsAllowed) throw savepointRefused();
  }

  /** Runs the library's own statements (transaction control, VACUUM's attach) past the authorizer. */
  asLibrary<T>(fn: () => T): T {
    return this.withFlag('library', fn);
  }

  /** Runs `fn` with one of the authorizer's switches on, and off again however it ends. */
  private withFlag<T>(flag: 'library' | 'savepointsAllowed', fn: () => T): T {
    this[flag] = true;
    try {
      return fn();
    } finally {
      this[flag] = false;
    }
  }

  /**
   * VACUUM rebuilds the file through a temporary database that SQLite ATTACHes itself, which the
   * authorizer and the attach limit refuse to users: let SQLite's own attach through, for this one
   * statement whose whole text the caller knows.
   */
  withVacuumAttach<T>(fn: () => T): T {
    const { capi } = this.sqlite3;
    capi.sqlite3_limit(this.db, capi.SQLITE_LIMIT_ATTACHED, 1);
    try {
      return this.asLibrary(fn);
    } finally {
      capi.sqlite3_limit(this.db, capi.SQLITE_LIMIT_ATTACHED, 0);
    }
  }

  /** Runs `fn` with a deadline: past `ms`, the statement running is interrupted (INTERRUPTED). */
  timed<T>(ms: number | undefined, fn: () => T): T {
    if (ms === undefined) return fn();
    this.stopAt = Date.now() + ms;
    this.interruptedAfter = ms;
    try {
      return fn();
    } finally {
      this.stopAt = Number.POSITIVE_INFINITY;
    }
  }

  /** The guard's own error for SQLite result code `resultCode`, when a guard caused it. */
  explain(resultCode: number): SqliteError | undefined {
    const { capi } = this.sqlite3;
    if (resultCode === capi.SQLITE_AUTH && this.refusal) {
      const refusal = this.refusal;
      this.refusal = undefined;
      return refusal;
    }
    if ((resultCode & 0xff) === capi.SQLITE_INTERRUPT && Date.now() > this.stopAt) {
      return new SqliteError(
        'INTERRUPTED',
        `the call ran longer than its queryTimeout (${this.interruptedAfter} ms) and was interrupted; it applied nothing`,
        resultCode,
      );
    }
    return undefined;
  }
}
