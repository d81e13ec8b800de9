import type { Database, PreparedStatement, Sqlite3Static } from '@sqlite.org/sqlite-wasm';
import { SqliteError, invalidArgument } from '../../src/errors.ts';
import type { Row, RunResult, SqlParams, SqlValue } from '../../src/types.ts';
import { ChangeCounts } from './change-counts.ts';
import { SqlGuards, type Prepared } from './sql-guards.ts';
import { WasmValues, safeInteger } from './wasm-values.ts';
import { WrittenTables } from './written-tables.ts';

/**
 * One SQLite connection: the prepared-statement cache, parameter binding, rows as objects, and
 * SQLite's failures turned into SqliteError. It knows nothing of queues, tabs or transports.
 */

const STATEMENT_CACHE_SIZE = 128;

/** A statement's full outcome: what `run`, `all`, `get`, `query` and `batch` each take a part of. */
export interface Outcome<R = Row> extends RunResult {
  /** The result's column names in order, duplicates kept. */
  columns: string[];
  rows: R[];
}

const SQLITE_ROW = 100;
const SQLITE_DONE = 101;

/** The raw C functions the statement loop calls (see wasm-values.ts for why not the wrappers). */
interface Exports {
  sqlite3_step(stmt: number): number;
  sqlite3_reset(stmt: number): number;
  sqlite3_clear_bindings(stmt: number): number;
  sqlite3_bind_parameter_count(stmt: number): number;
  sqlite3_stmt_readonly(stmt: number): number;
  sqlite3_changes(db: number): number;
  sqlite3_total_changes(db: number): number;
  sqlite3_last_insert_rowid(db: number): bigint;
}

/**
 * What may follow a statement in a string given to run/all/get/batch: blanks, semicolons,
 * comments. Each alternative starts with its own character and a block comment ends at its first
 * closing mark, so the match takes linear time whatever the input.
 */
const NOTHING_MORE = /^(?:\s|;|--[^\n]*(?:\n|$)|\/\*(?:[^*]|\*(?!\/))*(?:\*\/|$))*$/;

/** A VACUUM of the main database and nothing else (not VACUUM INTO, which writes another file). */
const LONE_VACUUM = /^\s*vacuum(?:\s+main)?\s*;?\s*$/i;

/** A read-only statement's rows with the tables (and views) it read, as SQLite resolved them. */
export interface Snapshot {
  rows: Row[];
  tables: string[];
}

/**
 * SQLite reads SQL text up to its first NUL character and silently ignores the rest: refuse such
 * text rather than run part of it.
 */
function refuseNul(sql: string): void {
  if (sql.includes('\0')) {
    throw invalidArgument('the SQL text holds a NUL character (U+0000), where SQLite stops reading: pass such a value as a parameter');
  }
}

/**
 * A column named __proto__ as an own key of the row. Assigned (`row['__proto__'] = v`), it would
 * set the row's prototype when `v` is a blob, or be dropped when it is not an object.
 */
function setProtoKey(row: Row, value: SqlValue): void {
  Object.defineProperty(row, '__proto__', { value, enumerable: true, writable: true, configurable: true });
}

export class Connection {
  private readonly cache = new Map<string, PreparedStatement>();
  /**
   * The library's own statements, apart from the user's: they were prepared past the authorizer,
   * so a user's identical `COMMIT` or `BEGIN` must never be served from here.
   */
  private readonly controlCache = new Map<string, PreparedStatement>();
  private readonly guards: SqlGuards;
  /** Cached statements that are savepoints: allowed in some contexts only, checked at each run. */
  private readonly savepoints = new WeakSet<PreparedStatement>();
  /** What SQLite said of each cached statement when it prepared it: tables read, DDL, transaction control. */
  private readonly prepared = new WeakMap<PreparedStatement, Prepared>();
  /** The tables the open transaction has written (live queries' change notices). */
  readonly written: WrittenTables;
  private readonly changeCounts: ChangeCounts;

  private readonly values: WasmValues;
  private readonly exports: Exports;
  private readonly dbPointer: number;

  constructor(
    readonly sqlite3: Sqlite3Static,
    readonly db: Database,
  ) {
    this.values = new WasmValues(sqlite3);
    this.exports = sqlite3.wasm.exports as Exports;
    this.dbPointer = Number(db.pointer);
    this.guards = new SqlGuards(sqlite3, db);
    this.written = new WrittenTables(sqlite3, db);
    this.changeCounts = new ChangeCounts(sqlite3, db);
  }

  /**
   * Runs the library's own writes (its request record, its epoch), which SQL's changes() and
   * total_changes() leave out; they must end with a one-row write (change-counts.ts).
   */
  libraryWrites<T>(writes: () => T): T {
    return this.changeCounts.ownWrites(writes);
  }

  /** Runs `fn` with a deadline: past `ms`, the statement running is interrupted (INTERRUPTED). */
  timed<T>(ms: number | undefined, fn: () => T): T {
    return this.guards.timed(ms, fn);
  }

  /** Turns anything SQLite or the oo1 layer threw into a SqliteError with SQLite's code and text. */
  toError(error: unknown): SqliteError {
    if (error instanceof SqliteError) return error;
    const { capi } = this.sqlite3;
    const resultCode = (error as { resultCode?: unknown } | null)?.resultCode;
    if (typeof resultCode === 'number') {
      const guarded = this.guards.explain(resultCode);
      if (guarded) return guarded;
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
    refuseNul(sql);
    if (LONE_VACUUM.test(sql)) return this.vacuum();
    this.guards.startObserving();
    this.written.statementStarted();
    try {
      this.db.exec(sql);
    } catch (e) {
      throw this.toError(e);
    } finally {
      // Several statements, each prepared as it runs: any DDL among them counts, run or not
      // (a notice too many costs a watch one read; one too few would leave it stale).
      const seen = this.guards.stopObserving();
      if (seen && seen.schema.size > 0) this.written.schemaChanged(seen.schema);
    }
  }

  /** VACUUM, with the attach of its temporary database let through (sql-guards.ts). */
  private vacuum(): void {
    try {
      this.guards.withVacuumAttach(() => this.db.exec('VACUUM'));
    } catch (e) {
      throw this.toError(e);
    }
  }

  /** Runs `fn`, one statement of an interactive transaction, with the user's savepoints allowed (sql-guards.ts). */
  allowingSavepoints<T>(fn: () => T): T {
    return this.guards.allowingSavepoints(fn);
  }

  /** Runs the library's own transaction control, past the authorizer. */
  control(sql: string): void {
    try {
      this.guards.asLibrary(() => {
        let stmt = this.controlCache.get(sql);
        if (!stmt) {
          stmt = this.prepareObserved(sql);
          this.controlCache.set(sql, stmt);
        }
        stmt.stepReset();
        this.ran(stmt);
      });
    } catch (e) {
      throw this.toError(e);
    }
  }

  /** Prepares `sql`, keeping what SQLite's authorizer said of it. */
  private prepareObserved(sql: string): PreparedStatement {
    this.guards.startObserving();
    let stmt: PreparedStatement | undefined;
    try {
      stmt = this.db.prepare(sql);
      return stmt;
    } finally {
      this.remember(stmt, this.guards.stopObserving());
    }
  }

  /** Keeps what SQLite said of `stmt` while preparing it. */
  private remember(stmt: PreparedStatement | undefined, seen: Prepared | undefined): void {
    if (stmt && seen) this.prepared.set(stmt, seen);
  }

  /** `stmt` ran to its end: follow its transaction control and DDL in the record of written tables. */
  private ran(stmt: PreparedStatement): void {
    const prepared = this.prepared.get(stmt);
    if (!prepared) return;
    const control = prepared.control;
    if (control) {
      switch (control.kind) {
        case 'begin':
          this.written.begin();
          break;
        case 'savepoint':
          this.written.savepoint(control.name);
          break;
        case 'release':
          this.written.release(control.name);
          break;
        case 'rollbackTo':
          this.written.rollbackTo(control.name);
          break;
        // COMMIT: the writer takes the tables once it returned; ROLLBACK: the rollback hook forgets them.
      }
    }
    if (prepared.schema.size > 0) this.written.schemaChanged(prepared.schema);
  }

  /** Rows inserted, updated or deleted since the connection opened, by anyone (SQLite's own count). */
  get totalChanges(): number {
    return this.exports.sqlite3_total_changes(this.dbPointer);
  }

  /** True when no statement is open, that is, SQLite is not inside a transaction. */
  get autocommit(): boolean {
    return this.sqlite3.capi.sqlite3_get_autocommit(this.db) !== 0;
  }

  /**
   * Throws SQLite's own foreign key error when a deferred foreign key is still broken, that is,
   * when a COMMIT now would fail.
   */
  checkDeferredForeignKeys(): void {
    const { capi, wasm } = this.sqlite3;
    const stack = wasm.pstack.pointer;
    let pending: number;
    try {
      const current = wasm.pstack.alloc(4);
      const highwater = wasm.pstack.alloc(4);
      capi.sqlite3_db_status(this.db, capi.SQLITE_DBSTATUS_DEFERRED_FKS, current, highwater, 0);
      pending = Number(wasm.peek32(current));
    } finally {
      wasm.pstack.restore(stack);
    }
    if (pending !== 0) {
      throw new SqliteError('SQLITE_CONSTRAINT_FOREIGNKEY', 'FOREIGN KEY constraint failed', capi.SQLITE_CONSTRAINT_FOREIGNKEY);
    }
  }

  /** True when the statement cannot change the database (a savepoint statement is transaction control, not a read). */
  isReadonly(sql: string): boolean {
    try {
      const stmt = this.statement(sql);
      return !this.savepoints.has(stmt) && this.exports.sqlite3_stmt_readonly(stmt.pointer!) !== 0;
    } catch (e) {
      throw this.toError(e);
    }
  }

  /**
   * Runs one statement and returns its effect and up to `maxRows` rows, as objects keyed by column
   * name. With `maxRows` 1 it stops after the first row (a RETURNING statement has made all its
   * changes by then).
   */
  query(sql: string, params: SqlParams | undefined, maxRows = Infinity): Outcome<Row> {
    // A column named __proto__ is set as an own key: assigned, it would set the row's prototype.
    let seen: string[] | undefined;
    let protoAt = -1;
    return this.step(sql, params, maxRows, (stmt, names) => {
      if (names !== seen) {
        seen = names;
        protoAt = names.indexOf('__proto__');
      }
      const row: Row = {};
      for (let i = 0; i < names.length; i++) {
        if (i === protoAt) setProtoKey(row, this.values.column(stmt, i));
        else row[names[i]!] = this.values.column(stmt, i);
      }
      return row;
    });
  }

  /**
   * Runs one statement and returns its effect and every row as an array of values in column
   * order. Built straight from the statement: an object would keep one of two columns that share
   * a name (`SELECT a.id, b.id`), and a driver maps rows by position.
   */
  queryArrays(sql: string, params: SqlParams | undefined): Outcome<SqlValue[]> {
    return this.step(sql, params, Infinity, (stmt, names) => {
      const row = new Array<SqlValue>(names.length);
      for (let i = 0; i < names.length; i++) row[i] = this.values.column(stmt, i);
      return row;
    });
  }

  private step<R>(sql: string, params: SqlParams | undefined, maxRows: number, makeRow: (stmt: number, names: string[]) => R): Outcome<R> {
    const x = this.exports;
    if (LONE_VACUUM.test(sql) && (params === undefined || (Array.isArray(params) && params.length === 0))) {
      this.vacuum();
      return { columns: [], rows: [], changes: 0, lastInsertRowid: safeInteger(x.sqlite3_last_insert_rowid(this.dbPointer)) };
    }
    let stmt: number;
    let prepared: PreparedStatement;
    try {
      prepared = this.statement(sql);
      if (this.savepoints.has(prepared)) this.guards.checkSavepointHere();
      stmt = prepared.pointer!;
    } catch (e) {
      throw this.toError(e);
    }
    const totalBefore = x.sqlite3_total_changes(this.dbPointer);
    let ended = false;
    // SQLite prepares a cached statement anew when the schema changed: what it reads may change too.
    this.guards.startObserving();
    this.written.statementStarted();
    try {
      this.bind(stmt, params);
      const rows: R[] = [];
      // Read after the first step: a cached statement re-prepared after a schema change
      // (ALTER TABLE ADD COLUMN under SELECT *) has its new columns only from then on.
      let names: string[] | undefined;
      for (;;) {
        const rc = x.sqlite3_step(stmt);
        if (rc === SQLITE_DONE) break;
        if (rc !== SQLITE_ROW) this.fail(rc);
        if (maxRows === 0) continue;
        names ??= this.columnNames(stmt);
        rows.push(makeRow(stmt, names));
        if (rows.length >= maxRows) break;
      }
      const readonly = x.sqlite3_stmt_readonly(stmt) !== 0;
      ended = true;
      return {
        // A statement that returned no row still has its columns (a SELECT that found nothing).
        columns: names ?? this.columnNames(stmt),
        rows,
        // sqlite3_changes keeps the count of the last INSERT/UPDATE/DELETE (possibly the request
        // log's own insert) through a CREATE or a no-op: report 0 unless this statement changed rows.
        changes: readonly || x.sqlite3_total_changes(this.dbPointer) === totalBefore ? 0 : x.sqlite3_changes(this.dbPointer),
        lastInsertRowid: safeInteger(x.sqlite3_last_insert_rowid(this.dbPointer)),
      };
    } catch (e) {
      // A failed statement that changed nothing in the end was undone by SQLite (no OR FAIL rows kept).
      if (!this.autocommit && x.sqlite3_total_changes(this.dbPointer) === totalBefore) this.written.statementUndone();
      throw this.toError(e);
    } finally {
      // Straight to SQLite: oo1's reset() throws the failed step's error again, hiding ours.
      x.sqlite3_reset(stmt);
      x.sqlite3_clear_bindings(stmt);
      this.remember(prepared, this.guards.stopObserving());
      if (ended) this.ran(prepared);
    }
  }

  /**
   * Runs a statement that only reads and returns its rows with the tables and views it read, as
   * SQLite's authorizer reported them when it prepared the statement (never parsed from the text).
   */
  snapshot(sql: string, params: SqlParams | undefined): Snapshot {
    let stmt: PreparedStatement;
    try {
      stmt = this.statement(sql);
    } catch (e) {
      throw this.toError(e);
    }
    if (this.savepoints.has(stmt) || this.exports.sqlite3_stmt_readonly(stmt.pointer!) === 0) {
      throw invalidArgument('db.watch takes one statement that only reads (a SELECT); it runs again after every change');
    }
    const { rows } = this.query(sql, params);
    // Read after the run: SQLite may have prepared the statement anew (schema change) meanwhile.
    return { rows, tables: [...(this.prepared.get(this.statement(sql))?.reads ?? [])] };
  }

  /** Throws SQLite's error for result code `rc`, with its message, as oo1 would. */
  private fail(rc: number): never {
    this.sqlite3.oo1.DB.checkRc(this.db, rc);
    throw new SqliteError('SQLITE_ERROR', `SQLite returned ${rc}`, rc);
  }

  private columnNames(stmt: number): string[] {
    const names: string[] = [];
    for (let i = 0, n = this.sqlite3.capi.sqlite3_column_count(stmt); i < n; i++) names.push(this.values.columnName(stmt, i));
    return names;
  }

  /** Finalizes every cached statement and closes the connection. */
  close(): void {
    this.written.close();
    for (const stmt of [...this.cache.values(), ...this.controlCache.values()]) stmt.finalize();
    this.cache.clear();
    this.controlCache.clear();
    this.values.dispose();
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
    this.guards.forgetRefusal();
    refuseNul(sql);
    if (NOTHING_MORE.test(sql)) throw invalidArgument('sql holds no statement (only comments or semicolons)');
    const stmt = this.prepareObserved(sql);
    // oo1 prepares the first statement and silently drops the rest: refuse instead of losing writes.
    if (!NOTHING_MORE.test(sql.slice(this.sqlite3.capi.sqlite3_sql(stmt).length))) {
      stmt.finalize();
      throw invalidArgument('run, all, get and batch take one statement; use exec() for several, or batch() for several with parameters');
    }
    if (this.guards.preparedASavepoint()) this.savepoints.add(stmt);
    this.cache.set(sql, stmt);
    if (this.cache.size > STATEMENT_CACHE_SIZE) {
      const [oldestSql, oldest] = this.cache.entries().next().value as [string, PreparedStatement];
      this.cache.delete(oldestSql);
      oldest.finalize();
    }
    return stmt;
  }

  private bind(stmt: number, params: SqlParams | undefined): void {
    const count = this.exports.sqlite3_bind_parameter_count(stmt);
    if (params === undefined || (Array.isArray(params) && params.length === 0 && count === 0)) {
      if (count > 0) throw invalidArgument(`the statement has ${count} parameter(s) and none were given`);
      return;
    }
    if (Array.isArray(params)) {
      if (params.length !== count) {
        throw invalidArgument(`the statement has ${count} parameter(s) and ${params.length} were given`);
      }
      for (let i = 0; i < count; i++) this.bindOne(stmt, i + 1, params[i] as SqlValue);
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
      this.bindOne(stmt, i, named[key] as SqlValue);
    }
  }

  private bindOne(stmt: number, index: number, value: SqlValue): void {
    const rc = this.values.bind(stmt, index, value);
    if (rc !== 0) this.fail(rc);
  }
}
