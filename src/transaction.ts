import { SqliteError } from './errors.ts';
import type { ReplyOf, RequestBody } from './protocol.ts';
import { Verbs, type StatementOp } from './verbs.ts';

/**
 * The handle an interactive transaction's function receives: the same verbs as the database,
 * running inside the transaction. It stops working once the function has returned or thrown.
 */
export class Transaction extends Verbs {
  private ended = false;

  /** @internal Created by `db.transaction()`. */
  constructor(private readonly sendInTransaction: <O extends StatementOp>(body: RequestBody<O>) => Promise<ReplyOf<O>>) {
    super();
  }

  /** @internal */
  end(): void {
    this.ended = true;
  }

  protected send<O extends StatementOp>(body: RequestBody<O>): Promise<ReplyOf<O>> {
    if (this.ended) {
      return Promise.reject(
        new SqliteError('TRANSACTION_ABORTED', 'this transaction has already ended; use db, or start a new transaction'),
      );
    }
    return this.sendInTransaction(body);
  }
}
