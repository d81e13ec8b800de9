import { packStatements, unpackResults } from './batch-wire.ts';
import { checkBatch, checkParams, checkRowOptions, checkSql } from './params.ts';
import type { ReplyOf, RequestBody } from './protocol.ts';
import type { BatchOptions, BatchResult, BatchStatement, QueryOptions, QueryResult, Row, RunResult, SqlParams } from './types.ts';

/** The ops a database and a transaction both offer. */
export type StatementOp = 'exec' | 'run' | 'all' | 'get' | 'query' | 'batch';

/**
 * The statement verbs, written once for {@link Database} and {@link Transaction}: each checks
 * its arguments (a bad one rejects the returned promise, like every other failure) and sends one
 * request, whose reply type follows from its op.
 */
export abstract class Verbs {
  /** Sends one request; the database adds its ids and deadline, a transaction its own id too. */
  protected abstract send<O extends StatementOp>(body: RequestBody<O>): Promise<ReplyOf<O>>;

  /** Runs one or more statements separated by semicolons; no parameters, no results. */
  async exec(sql: string): Promise<void> {
    checkSql(sql);
    await this.send({ op: 'exec', sql });
  }

  /** Runs one statement for its effect. */
  async run(sql: string, params?: SqlParams): Promise<RunResult> {
    checkSql(sql);
    checkParams(params);
    return this.send({ op: 'run', sql, params });
  }

  /** Runs one statement and returns every row, as objects keyed by column name. */
  async all<T = Row>(sql: string, params?: SqlParams): Promise<T[]> {
    checkSql(sql);
    checkParams(params);
    // The row type is the caller's claim about its own SQL; the library cannot check it.
    return (await this.send({ op: 'all', sql, params })) as T[];
  }

  /** Runs one statement and returns its first row, or undefined. */
  async get<T = Row>(sql: string, params?: SqlParams): Promise<T | undefined> {
    checkSql(sql);
    checkParams(params);
    return (await this.send({ op: 'get', sql, params })) as T | undefined;
  }

  /**
   * Runs one statement and returns everything about it from one round trip: its column names in
   * order (duplicates kept), its rows, `changes` and `lastInsertRowid`. Rows are arrays of values
   * in column order by default, or objects with `{ rowMode: 'object' }`.
   *
   * @example
   * const { columns, rows } = await db.query('SELECT a.id, b.id FROM a JOIN b ON b.a_id = a.id');
   * // columns: ['id', 'id'], rows: [[1, 10], ...]
   */
  query(sql: string, params?: SqlParams, options?: QueryOptions & { rowMode?: 'array' }): Promise<QueryResult>;
  query<T = Row>(sql: string, params: SqlParams | undefined, options: { rowMode: 'object' }): Promise<QueryResult<T>>;
  query(sql: string, params?: SqlParams, options?: QueryOptions): Promise<QueryResult | QueryResult<Row>>;
  async query(sql: string, params?: SqlParams, options?: QueryOptions): Promise<QueryResult<unknown>> {
    checkSql(sql);
    checkParams(params);
    checkRowOptions(options, 'query');
    return this.send({ op: 'query', sql, params, rowMode: options?.rowMode ?? 'array' });
  }

  /**
   * Runs several statements atomically (all or none) in one round trip. With a `rowMode`, each
   * result is a {@link QueryResult} (columns, rows in that mode, changes, lastInsertRowid).
   */
  batch(statements: BatchStatement[]): Promise<BatchResult[]>;
  batch(statements: BatchStatement[], options: { rowMode: 'array' }): Promise<QueryResult[]>;
  batch(statements: BatchStatement[], options: { rowMode: 'object' }): Promise<QueryResult<Row>[]>;
  batch(statements: BatchStatement[], options?: BatchOptions): Promise<BatchResult[] | QueryResult[] | QueryResult<Row>[]>;
  async batch(statements: BatchStatement[], options?: BatchOptions): Promise<BatchResult[] | QueryResult[] | QueryResult<Row>[]> {
    checkBatch(statements);
    checkRowOptions(options, 'batch');
    const rowMode = options?.rowMode;
    const packed = packStatements(statements);
    // Without a rowMode the request is what it always was, so a record of it stays comparable.
    const results = unpackResults(
      await this.send(rowMode ? { op: 'batch', statements: packed, rowMode } : { op: 'batch', statements: packed }),
    );
    return results as BatchResult[] | QueryResult[];
  }
}
