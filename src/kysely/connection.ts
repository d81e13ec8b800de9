import type { CompiledQuery, DatabaseConnection, QueryResult } from 'kysely';
import { SqliteError } from '../errors.ts';
import type { Database } from '../database.ts';
import type { Transaction } from '../transaction.ts';
import type { SqlValue } from '../types.ts';

/**
 * One Kysely connection: a view of the database that, between Kysely's `beginTransaction` and its
 * commit or rollback, runs every query in that sqlite-baton transaction. Every query is one
 * `query` call, whose answer has the rows, `changes` and `lastInsertRowid` together.
 */
export class BatonConnection implements DatabaseConnection {
  private tx: Transaction | undefined;

  constructor(private readonly db: Database) {}

  async executeQuery<R>(compiledQuery: CompiledQuery, options?: { signal?: AbortSignal | undefined }): Promise<QueryResult<R>> {
    // Once sent, a statement runs to its end (the leader serves every tab); an abort can only stop one not sent yet.
    options?.signal?.throwIfAborted();
    const target = this.tx ?? this.db;
    const result = await target.query<R>(compiledQuery.sql, compiledQuery.parameters as SqlValue[], { rowMode: 'object' });
    return { rows: result.rows, numAffectedRows: BigInt(result.changes), insertId: BigInt(result.lastInsertRowid) };
  }

  /**
   * Kysely's streaming: the whole result crosses from the leader in one reply, then is handed out
   * `chunkSize` rows at a time (the leader serves every tab and cannot hold a cursor open for one).
   */
  async *streamQuery<R>(compiledQuery: CompiledQuery, chunkSize = 100): AsyncIterableIterator<QueryResult<R>> {
    const { rows } = await this.executeQuery<R>(compiledQuery);
    const size = Math.max(1, chunkSize);
    for (let i = 0; i < rows.length; i += size) yield { rows: rows.slice(i, i + size) };
  }

  /** @internal The driver's BEGIN. */
  async begin(): Promise<void> {
    if (this.tx) throw new SqliteError('INVALID_ARGUMENT', 'this Kysely connection is already in a transaction');
    this.tx = await this.db.begin();
  }

  /**
   * @internal The driver's COMMIT or ROLLBACK. A failed COMMIT keeps the (ended) transaction on the
   * connection: Kysely answers it with a ROLLBACK, which must resolve, not hide the COMMIT's error.
   */
  async end(how: 'commit' | 'rollback'): Promise<void> {
    const tx = this.tx;
    if (!tx) throw new SqliteError('TRANSACTION_ABORTED', `${how} without a transaction on this Kysely connection`);
    await (how === 'commit' ? tx.commit() : tx.rollback());
    this.tx = undefined;
  }
}
