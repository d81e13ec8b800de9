/**
 * The codes a library failure can carry. SQLite failures carry SQLite's own extended code name
 * instead (`SQLITE_CONSTRAINT_UNIQUE`, `SQLITE_ERROR`, ...).
 */
export type LibraryErrorCode =
  /** A call was made after `close()`. */
  | 'DATABASE_CLOSED'
  /** A parameter, option or value the library cannot use; the message says what to write instead. */
  | 'INVALID_ARGUMENT'
  /** `storage: 'opfs'` was asked for and this context cannot provide it. */
  | 'OPFS_UNAVAILABLE'
  /** The call waited longer than `lockTimeout` for the writer (or for a leader); it was not applied. */
  | 'LOCK_TIMEOUT'
  /**
   * A write was applied, exactly once, but this call was a retry (its leader or worker went away
   * before answering) and the write's reply was too large to keep for one: read back what it returned.
   */
  | 'APPLIED_WITHOUT_REPLY'
  /**
   * No leader answered the call for a minute past its deadline and `queryTimeout`, although one
   * may have started it (a leader whose worker is frozen, a file no tab can open): whether it was
   * applied cannot be known here. Never the outcome of a leader change, which retries the call.
   */
  | 'LEADER_UNRESPONSIVE'
  /** An interactive transaction was cut (leader change, dead worker); none of it was applied. */
  | 'TRANSACTION_ABORTED'
  /**
   * A call on `db` was made by the code of this tab's own open transaction (synchronously inside
   * `db.transaction(fn)` or `tx.savepoint(fn)`): it would wait for the transaction to end, which
   * waits for it. Use `tx` inside a transaction. The call was not sent; the transaction goes on.
   */
  | 'TRANSACTION_DEADLOCK'
  /** The database could not be opened (for instance its files stayed locked by a dying tab). */
  | 'OPEN_FAILED'
  /** The origin's storage quota is used up; the write applied nothing. */
  | 'QUOTA_EXCEEDED'
  /** A statement ran past `queryTimeout` and was interrupted; its call applied nothing. */
  | 'INTERRUPTED'
  /**
   * A migration failed while `openDatabase` applied it: the message names it, `cause` is what it
   * threw (a SqliteError for SQL: `resultCode` is SQLite's). None of the run was applied.
   */
  | 'MIGRATION_FAILED'
  /**
   * The migration list does not match what the database has applied: an applied migration's text
   * (or checksum) changed, or a new one was inserted before applied ones. The message names it;
   * nothing was applied.
   */
  | 'MIGRATION_CHANGED'
  /**
   * The database has migrations this tab's list does not have: this tab runs older code than the
   * database. Reload it (or open with `allowNewerSchema: true` if its code works on the newer schema).
   */
  | 'SCHEMA_NEWER'
  /**
   * Another tab migrated the database after this one opened it (a `versionchange` event says so):
   * the call was refused, unapplied, because this tab's code knows an older schema. Reopen
   * (reload the tab), or open with `onVersionChange: 'continue'`.
   */
  | 'SCHEMA_CHANGED'
  /**
   * Another tab runs a different version of sqlite-baton and leads this database: this tab cannot
   * talk to it. Reload every tab of the app so that they all run the same version. A call that was
   * being retried after a leader change may have been applied before.
   */
  | 'PROTOCOL_MISMATCH';

/** Every code a {@link SqliteError} can carry. */
export type ErrorCode = LibraryErrorCode | `SQLITE_${string}`;

/**
 * The one error class of sqlite-baton. `code` is a stable string to branch on; `resultCode` is
 * SQLite's numeric extended result code when the failure came from SQLite.
 *
 * @example
 * try { await db.run('INSERT INTO t (id) VALUES (1)') }
 * catch (e) { if (e instanceof SqliteError && e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY') ... }
 */
export class SqliteError extends Error {
  readonly code: ErrorCode;
  readonly resultCode?: number;

  constructor(code: ErrorCode, message: string, resultCode?: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SqliteError';
    this.code = code;
    if (resultCode !== undefined) this.resultCode = resultCode;
  }
}

/** Shorthand for the most common library error, so argument checks stay one line. */
export function invalidArgument(message: string): SqliteError {
  return new SqliteError('INVALID_ARGUMENT', message);
}
