import { SqliteError } from './errors.ts';
import { packStatements, unpackResults, type PackedResults } from './batch-wire.ts';
import { checkBatch, checkParams, checkSql } from './params.ts';
import type { BatchResult, BatchStatement, Reply, Request, Row, RunResult, SqlParams } from './protocol.ts';

type StatementBody =
  Extract<Request, { op: 'exec' | 'run' | 'all' | 'get' | 'batch' }> extends infer R
    ? R extends Request
      ? Omit<R, 'requestId' | 'deadline' | 'txId'>
      : never
    : never;

/**
 * The handle an interactive transaction's function receives: the same verbs as the database,
 * running inside the transaction. It stops working once the function has returned or thrown.
 * The verbs are async so that a bad argument rejects the returned promise, like every other
 * failure, instead of throwing before the caller holds a promise to catch.
 */
export class Transaction {
  private ended = false;

  /** @internal */
  constructor(private readonly send: (body: StatementBody) => Promise<Reply>) {}

  async exec(sql: string): Promise<void> {
    checkSql(sql);
    return this.call({ op: 'exec', sql }) as Promise<void>;
  }

  async run(sql: string, params?: SqlParams): Promise<RunResult> {
    checkSql(sql);
    checkParams(params);
    return this.call({ op: 'run', sql, params }) as Promise<RunResult>;
  }

  async all<T = Row>(sql: string, params?: SqlParams): Promise<T[]> {
    checkSql(sql);
    checkParams(params);
    return this.call({ op: 'all', sql, params }) as Promise<T[]>;
  }

  async get<T = Row>(sql: string, params?: SqlParams): Promise<T | undefined> {
    checkSql(sql);
    checkParams(params);
    return this.call({ op: 'get', sql, params }) as Promise<T | undefined>;
  }

  async batch(statements: BatchStatement[]): Promise<BatchResult[]> {
    checkBatch(statements);
    return unpackResults((await this.call({ op: 'batch', statements: packStatements(statements) })) as PackedResults);
  }

  /** @internal */
  end(): void {
    this.ended = true;
  }

  private call(body: StatementBody): Promise<Reply> {
    if (this.ended) {
      return Promise.reject(
        new SqliteError('TRANSACTION_ABORTED', 'this transaction has already ended; use db, or start a new transaction'),
      );
    }
    return this.send(body);
  }
}
