import type { BatchItem } from 'drizzle-orm/batch';
import { NoopCache } from 'drizzle-orm/cache/core';
import { entityKind, type Logger, type Query, type RelationalSchemaConfig, type TablesRelationalConfig } from 'drizzle-orm';
import { RemotePreparedQuery } from 'drizzle-orm/sqlite-proxy';
import {
  SQLiteSession,
  SQLiteTransaction,
  type SQLiteAsyncDialect,
  type SQLiteExecuteMethod,
  type SQLitePreparedQuery,
  type PreparedQueryConfig,
  type SelectedFieldsOrdered,
  type SQLiteTransactionConfig,
} from 'drizzle-orm/sqlite-core';
import type { Database } from '../database.ts';
import type { Transaction } from '../transaction.ts';
import type { QueryResult, RunResult, SqlParams, SqlValue } from '../types.ts';

/**
 * Drizzle's SQLite session over sqlite-baton. Every statement is one `query` call on a database
 * or a transaction handle, which answers columns, rows, changes and rowid at once. Rows come as
 * arrays whenever Drizzle maps them by position (selects, joins, relational queries: two columns
 * named `id` stay two), as objects for raw SQL without a selection (what `db.all(sql\`...\`)`
 * gives with better-sqlite3 or libsql). The mapping itself is Drizzle's own (its sqlite-proxy
 * prepared query); this file only says where each statement goes.
 */

/** What runs a statement: the database, or a transaction (then every statement runs inside it). */
type Executor = Pick<Database, 'query' | 'batch'>;

type Schema<TSchema extends TablesRelationalConfig> = RelationalSchemaConfig<TSchema> | undefined;

/**
 * One statement as Drizzle's proxy query calls it, answered as the proxy reads each method (its
 * declared type says `{ rows: any[] }` for all of them, which `get` and `run` are not).
 */
async function execute(executor: Executor, sql: string, params: unknown[], method: string, objects: boolean): Promise<{ rows: any[] }> {
  return (await answer(executor, sql, params, method, objects)) as { rows: any[] };
}

async function answer(executor: Executor, sql: string, params: unknown[], method: string, objects: boolean): Promise<unknown> {
  const values = params as SqlValue[];
  if (method === 'values') return { rows: (await executor.query(sql, values)).rows };
  const result = await executor.query(sql, values, { rowMode: objects ? 'object' : 'array' });
  if (method === 'run') return runResult(result);
  // The proxy's `get` takes the one row itself in `rows`.
  return { rows: method === 'get' ? result.rows[0] : result.rows };
}

function runResult(result: RunResult): RunResult {
  return { changes: result.changes, lastInsertRowid: result.lastInsertRowid };
}

/** Object rows from array rows, for raw SQL in a batch (which is run with array rows as a whole). */
function asObjects(result: QueryResult): Record<string, SqlValue>[] {
  return result.rows.map((row) => {
    const object: Record<string, SqlValue> = {};
    // defineProperty: a column named __proto__ is a column, not the object's prototype.
    result.columns.forEach((name, i) =>
      Object.defineProperty(object, name, { value: row[i], enumerable: true, writable: true, configurable: true }),
    );
    return object;
  });
}

/** Drizzle's proxy prepared query, told whether its rows are mapped by position (arrays) or raw (objects). */
class BatonPreparedQuery extends RemotePreparedQuery {
  static override readonly [entityKind]: string = 'BatonPreparedQuery';

  constructor(
    executor: Executor,
    query: Query,
    logger: Logger,
    fields: SelectedFieldsOrdered | undefined,
    executeMethod: SQLiteExecuteMethod,
    isResponseInArrayMode: boolean,
    customResultMapper: ((rows: unknown[][]) => unknown) | undefined,
    /** Raw SQL with no selection to map: its rows are objects, as Drizzle's other SQLite drivers give them. */
    readonly objects = fields === undefined && customResultMapper === undefined,
  ) {
    super(
      (sql, params, method) => execute(executor, sql, params, method, objects),
      query,
      logger,
      new NoopCache(),
      undefined,
      undefined,
      fields,
      executeMethod,
      isResponseInArrayMode,
      customResultMapper,
    );
  }
}

/** What a batch needs of Drizzle's raw SQL query (SQLiteRaw): its SQL, its action, its own mapping. */
interface RawQuery {
  getQuery(): { sql: string; params: unknown[]; method: string };
  mapResult(result: unknown, isFromBatch: boolean): unknown;
}

export interface BatonSessionOptions {
  logger: Logger;
}

export class BatonSession<TFullSchema extends Record<string, unknown>, TSchema extends TablesRelationalConfig> extends SQLiteSession<
  'async',
  RunResult,
  TFullSchema,
  TSchema
> {
  static override readonly [entityKind]: string = 'BatonSession';

  constructor(
    /** A Database outside a transaction; the transaction's handle inside one. */
    readonly executor: Executor,
    readonly dialect: SQLiteAsyncDialect,
    private readonly schema: Schema<TSchema>,
    private readonly options: BatonSessionOptions,
  ) {
    super(dialect);
  }

  prepareQuery(
    query: Query,
    fields: SelectedFieldsOrdered | undefined,
    executeMethod: SQLiteExecuteMethod,
    isResponseInArrayMode: boolean,
    customResultMapper?: (rows: unknown[][]) => unknown,
  ): SQLitePreparedQuery<PreparedQueryConfig & { type: 'async' }> {
    const prepared = new BatonPreparedQuery(
      this.executor,
      query,
      this.options.logger,
      fields,
      executeMethod,
      isResponseInArrayMode,
      customResultMapper,
    );
    // Drizzle's proxy query types its run result as the proxy's; here it is sqlite-baton's RunResult.
    return prepared as unknown as SQLitePreparedQuery<PreparedQueryConfig & { type: 'async' }>;
  }

  /** Drizzle's `db.batch([...])`: one sqlite-baton batch, atomic, in one round trip. */
  async batch<T extends BatchItem<'sqlite'>[] | readonly BatchItem<'sqlite'>[]>(queries: T): Promise<unknown[]> {
    // A query builder prepares to a BatonPreparedQuery; raw SQL (`orm.all(sql...)`) stays a SQLiteRaw.
    const prepared = queries.map((query) => (query as unknown as { _prepare(): BatonPreparedQuery | RawQuery })._prepare());
    const statements = prepared.map((p) => {
      const { sql, params } = p.getQuery();
      return { sql, params: params as SqlParams };
    });
    const results = await this.executor.batch(statements, { rowMode: 'array' });
    return results.map((result, i) => {
      const query = prepared[i]!;
      const method = query.getQuery().method;
      if (method === 'run') return query.mapResult(runResult(result), true);
      const raw = !(query instanceof BatonPreparedQuery);
      const rows = (raw ? method !== 'values' : query.objects) ? asObjects(result) : result.rows;
      // A prepared query's `get` takes its one row as `rows`; raw SQL's goes through extractRawGetValueFromBatchResult.
      return query.mapResult({ rows: method === 'get' && !raw ? rows[0] : rows }, true);
    });
  }

  /**
   * A Drizzle transaction on a sqlite-baton transaction (`db.transaction`): it holds the writer
   * for every tab, commits when the function returns and rolls back when it throws (Drizzle's
   * `tx.rollback()` throws). `behavior` is ignored: every transaction begins IMMEDIATE, since it
   * takes the one writer anyway.
   */
  override transaction<T>(
    fn: (tx: BatonDrizzleTransaction<TFullSchema, TSchema>) => Promise<T>,
    _config?: SQLiteTransactionConfig,
  ): Promise<T> {
    const database = this.executor as Database;
    return database.transaction((batonTx) => {
      const session = new BatonSession<TFullSchema, TSchema>(batonTx, this.dialect, this.schema, this.options);
      return fn(new BatonDrizzleTransaction<TFullSchema, TSchema>(batonTx, session, this.dialect, this.schema));
    });
  }

  extractRawAllValueFromBatchResult(result: unknown): unknown {
    return (result as { rows: unknown }).rows;
  }

  extractRawGetValueFromBatchResult(result: unknown): unknown {
    return (result as { rows: unknown[] }).rows[0];
  }

  extractRawValuesValueFromBatchResult(result: unknown): unknown {
    return (result as { rows: unknown }).rows;
  }
}

/** Drizzle's `tx` inside `db.transaction(...)`; `tx.transaction(...)` nests as a savepoint (`tx.savepoint`). */
export class BatonDrizzleTransaction<
  TFullSchema extends Record<string, unknown>,
  TSchema extends TablesRelationalConfig,
> extends SQLiteTransaction<'async', RunResult, TFullSchema, TSchema> {
  static override readonly [entityKind]: string = 'BatonDrizzleTransaction';

  constructor(
    private readonly batonTx: Transaction,
    private readonly batonSession: BatonSession<TFullSchema, TSchema>,
    dialect: SQLiteAsyncDialect,
    schema: Schema<TSchema>,
    nestedIndex = 0,
  ) {
    super('async', dialect, batonSession, schema, nestedIndex);
  }

  override transaction<T>(fn: (tx: BatonDrizzleTransaction<TFullSchema, TSchema>) => Promise<T>): Promise<T> {
    const nested = new BatonDrizzleTransaction<TFullSchema, TSchema>(
      this.batonTx,
      this.batonSession,
      this.batonSession.dialect,
      this.schema,
      this.nestedIndex + 1,
    );
    return this.batonTx.savepoint(() => fn(nested));
  }
}
