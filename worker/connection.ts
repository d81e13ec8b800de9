import type { Database, PreparedStatement, Sqlite3Static } from '@sqlite.org/sqlite-wasm';
import { SqliteError, invalidArgument } from '../src/errors.ts';
import type { Row, RunResult, SqlParams, SqlValue } from '../src/protocol.ts';

/**
 * One SQLite connection: the prepared-statement cache, parameter binding, rows as objects, and
 * SQLite's failures turned into SqliteError. It knows nothing of queues, tabs or transports.
 */

const STATEMENT_CACHE_SIZE = 128;

/** Pragmas the library owns: changing them would break its durability or locking promises. */
const OWNED_PRAGMAS = new Set(['journal_mode', 'locking_mode', 'synchronous', 'writable_schema', 'trusted_schema']);

/** A statement's full outcome: what `run`, `all`, `get` and `batch` each take a part of. */
export interface QueryResult extends RunResult {
  rows: Row[];
}

function safeInteger(value: bigint): number | bigint {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}

export class Connection {
  private readonly cache = new Map<string, PreparedStatement>();
  /** True while the library runs its own BEGIN/COMMIT/SAVEPOINT, which the authorizer lets through. */
  private internal = false;
  /** Why the authorizer refused the statement being prepared, to replace SQLite's bare "not authorized". */
  private refusal: SqliteError | undefined;

  constructor(
    readonly sqlite3: Sqlite3Static,
    readonly db: Database,
  ) {
    const { capi } = sqlite3;
    // Transaction control belongs to the writer: a user's COMMIT would end a transaction that
    // holds other tabs' writes. ATTACH would let one tab's SQL reach files the leader owns.
    capi.sqlite3_set_authorizer(
      db,
      (_ctx, action, arg1, arg2) => {
        if (this.internal) return 0;
        if (action === capi.SQLITE_TRANSACTION || action === capi.SQLITE_SAVEPOINT) {
          this.refusal = invalidArgument('transaction control statements are not allowed here: use db.transaction(async (tx) => ...)');
          return capi.SQLITE_DENY;
        }
        if (action === capi.SQLITE_ATTACH || action === capi.SQLITE_DETACH) {
          this.refusal = new SqliteError('SQLITE_AUTH', 'ATTACH and DETACH are refused: the leader owns every file this database uses', capi.SQLITE_AUTH);
          return capi.SQLITE_DENY;
        }
        // Reading these pragmas is fine; setting them is what would break the guarantees.
        if (action === capi.SQLITE_PRAGMA && typeof arg1 === 'string' && arg2 && OWNED_PRAGMAS.has(arg1.toLowerCase())) {
          this.refusal = invalidArgument(`PRAGMA ${arg1} is managed by sqlite-baton (see the durability option)`);
          return capi.SQLITE_DENY;
        }
        return 0;
      },
      0,
    );
  }

  /** Turns anything SQLite or the oo1 layer threw into a SqliteError with SQLite's code and text. */
  toError(error: unknown): SqliteError {
    if (error instanceof SqliteError) return error;
    const { capi } = this.sqlite3;
    const resultCode = (error as { resultCode?: unknown } | null)?.resultCode;
    if (typeof resultCode === 'number') {
      if (resultCode === capi.SQLITE_AUTH && this.refusal) {
        const refusal = this.refusal;
        this.refusal = undefined;
        return refusal;
      }
      const code = capi.sqlite3_js_rc_str(resultCode) ?? 'SQLITE_ERROR';
      // oo1 prefixes SQLite's own text with "SQLITE_X: sqlite3 result code N: "; keep SQLite's words.
      const text = String((error as Error).message).replace(/^SQLITE_[A-Z_]+:\s*(sqlite3 result code \d+:\s*)?/, '');
      return new SqliteError(code as `SQLITE_${string}`, text, resultCode);
    }
    const message = error instanceof Error ? error.message : String(error);
    return new SqliteError('SQLITE_ERROR', message, capi.SQLITE_ERROR);
  }

  /** Runs one or more statements with no results and no parameters. */
  exec(sql: string): void {
    try {
      this.db.exec(sql);
    } catch (e) {
      throw this.toError(e);
    }
  }

  /** Runs the library's own transaction control, past the authorizer. */
  control(sql: string): void {
    this.internal = true;
    try {
      this.statement(sql).stepReset();
    } catch (e) {
      throw this.toError(e);
    } finally {
      this.internal = false;
    }
  }

  /** True when no statement is open, that is, SQLite is not inside a transaction. */
  get autocommit(): boolean {
    return this.sqlite3.capi.sqlite3_get_autocommit(this.db) !== 0;
  }

  /** True when the statement cannot change the database. */
  isReadonly(sql: string): boolean {
    try {
      return this.sqlite3.capi.sqlite3_stmt_readonly(this.statement(sql)) !== 0;
    } catch (e) {
      throw this.toError(e);
    }
  }

  /**
   * Runs one statement and returns its effect and up to `maxRows` rows. With `maxRows` 1 it stops
   * after the first row (a RETURNING statement has made all its changes by then).
   */
  query(sql: string, params: SqlParams | undefined, maxRows = Infinity): QueryResult {
    const { capi } = this.sqlite3;
    let stmt: PreparedStatement;
    try {
      stmt = this.statement(sql);
    } catch (e) {
      throw this.toError(e);
    }
    try {
      this.bind(stmt, params);
      const rows: Row[] = [];
      const names = stmt.columnCount > 0 ? stmt.getColumnNames() : [];
      while (stmt.step()) {
        if (maxRows === 0) continue;
        const row: Row = {};
        for (let i = 0; i < names.length; i++) row[names[i]!] = stmt.get(i) as SqlValue;
        rows.push(row);
        if (rows.length >= maxRows) break;
      }
      const readonly = capi.sqlite3_stmt_readonly(stmt) !== 0;
      return {
        rows,
        changes: readonly ? 0 : capi.sqlite3_changes(this.db),
        lastInsertRowid: safeInteger(capi.sqlite3_last_insert_rowid(this.db)),
      };
    } catch (e) {
      throw this.toError(e);
    } finally {
      // Not stmt.reset(): after a failed step it throws the same error again, hiding ours.
      capi.sqlite3_reset(stmt);
      capi.sqlite3_clear_bindings(stmt.pointer!);
    }
  }

  /** Finalizes every cached statement and closes the connection. */
  close(): void {
    for (const stmt of this.cache.values()) stmt.finalize();
    this.cache.clear();
    this.db.close();
  }

  /** A cached prepared statement; the least recently used one is finalized past the cache size. */
  private statement(sql: string): PreparedStatement {
    const cached = this.cache.get(sql);
    if (cached) {
      this.cache.delete(sql);
      this.cache.set(sql, cached);
      return cached;
    }
    this.refusal = undefined;
    const stmt = this.db.prepare(sql);
    this.cache.set(sql, stmt);
    if (this.cache.size > STATEMENT_CACHE_SIZE) {
      const [oldestSql, oldest] = this.cache.entries().next().value as [string, PreparedStatement];
      this.cache.delete(oldestSql);
      oldest.finalize();
    }
    return stmt;
  }

  private bind(stmt: PreparedStatement, params: SqlParams | undefined): void {
    const count = stmt.parameterCount;
    if (params === undefined || (Array.isArray(params) && params.length === 0 && count === 0)) {
      if (count > 0) throw invalidArgument(`the statement has ${count} parameter(s) and none were given`);
      return;
    }
    if (Array.isArray(params)) {
      if (params.length !== count) {
        throw invalidArgument(`the statement has ${count} parameter(s) and ${params.length} were given`);
      }
      for (let i = 0; i < count; i++) stmt.bind(i + 1, bindable(params[i] as SqlValue));
      return;
    }
    const named = params as Readonly<Record<string, SqlValue>>;
    const { capi } = this.sqlite3;
    for (let i = 1; i <= count; i++) {
      const name = capi.sqlite3_bind_parameter_name(stmt, i);
      if (!name) throw invalidArgument(`parameter ${i} is positional (?): pass params as an array`);
      // Accept both { ':id': 1 } and { id: 1 }; own properties only, so "__proto__" binds nothing.
      const bare = name.slice(1);
      const key = Object.hasOwn(named, name) ? name : Object.hasOwn(named, bare) ? bare : undefined;
      if (key === undefined) throw invalidArgument(`missing value for named parameter ${name}`);
      stmt.bind(i, bindable(named[key] as SqlValue));
    }
  }
}

function bindable(value: SqlValue): null | number | bigint | string | Uint8Array {
  return typeof value === 'boolean' ? (value ? 1 : 0) : value;
}
