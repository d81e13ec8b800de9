import { packStatements, unpackResults } from './batch-wire.ts';
import { checkBatch, checkParams, checkSql } from './params.ts';
import type { ReplyOf, RequestBody } from './protocol.ts';
import type { BatchResult, BatchStatement, Row, RunResult, SqlParams } from './types.ts';

/** The ops a database and a transaction both offer. */
export type StatementOp = 'exec' | 'run' | 'all' | 'get' | 'batch';

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

  /** Runs several statements atomically (all or none) in one round trip. */
  async batch(statements: BatchStatement[]): Promise<BatchResult[]> {
    checkBatch(statements);
    return unpackResults(await this.send({ op: 'batch', statements: packStatements(statements) }));
  }
}
