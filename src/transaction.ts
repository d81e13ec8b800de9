import { SqliteError, invalidArgument } from './errors.ts';
import type { ReplyOf, RequestBody } from './protocol.ts';
import { Verbs, type StatementOp } from './verbs.ts';

/** @internal What a transaction needs of the database that began it. */
export interface TransactionHost {
  /** Sends a request of a transaction (its txId set). */
  send<O extends StatementOp | 'commit' | 'rollback'>(body: RequestBody<O>): Promise<ReplyOf<O>>;
  /** Runs the transaction's own code (a savepoint's function), during which a call on `db` cannot be answered. */
  runOwnCode<R>(fn: () => R): R;
  /** The transaction has ended (committed, rolled back or cut): it no longer holds the writer. */
  ended(tx: Transaction): void;
}

function ended(why: string): SqliteError {
  return new SqliteError('TRANSACTION_ABORTED', `this transaction ${why}; use db, or begin a new transaction`);
}

/** Savepoint names of `tx.savepoint()`; `baton_` is reserved for the library's own. */
const SAVEPOINT_PREFIX = 'tx_savepoint_';

/**
 * An interactive transaction: the same verbs as the database, running inside it, and holding the
 * writer for every tab until `commit()` or `rollback()`. Get one from `db.begin()`, or let
 * `db.transaction(fn)` manage it.
 *
 * Ending it is safe to repeat: `commit()` resolves only if the transaction is committed (a second
 * call after a successful one resolves again; after a rollback or a cut it rejects
 * TRANSACTION_ABORTED), and `rollback()` resolves once none of it is applied, whatever ended it
 * (so it is safe in a `catch` after a failed `commit()`); only after a successful commit does
 * `rollback()` reject, with INVALID_ARGUMENT. Statements after either started reject
 * TRANSACTION_ABORTED.
 */
export class Transaction extends Verbs {
  private ending: { op: 'commit' | 'rollback'; done: Promise<void> } | undefined;
  private savepoints = 0;

  /** @internal Created by `db.begin()`. */
  constructor(
    private readonly id: string,
    private readonly host: TransactionHost,
  ) {
    super();
  }

  /** True until `commit()` or `rollback()` was called (or the transaction was cut and that became known). */
  get active(): boolean {
    return this.ending === undefined;
  }

  /** Commits the transaction. Rejects TRANSACTION_ABORTED if it was rolled back or cut (then none of it was applied). */
  commit(): Promise<void> {
    const ending = this.ending;
    if (ending?.op === 'commit') return ending.done;
    if (ending?.op === 'rollback') return ending.done.then(() => Promise.reject(ended('was rolled back, so it cannot be committed')));
    return this.end('commit', this.host.send({ op: 'commit', txId: this.id }));
  }

  /** Rolls the transaction back. Resolves once none of it is applied; rejects only if it had already been committed. */
  rollback(): Promise<void> {
    const ending = this.ending;
    if (ending?.op === 'rollback') return ending.done;
    if (ending?.op === 'commit') {
      return ending.done.then(
        () => Promise.reject(invalidArgument('this transaction was committed; it cannot be rolled back')),
        // A failed COMMIT left nothing applied; the ROLLBACK only makes sure nothing stays open.
        () => this.host.send({ op: 'rollback', txId: this.id }).then(settled, settled),
      );
    }
    // Whatever fails here (the leader or this tab's worker died, the handle was closed), the
    // transaction went with it: nothing of it is applied, which is what rollback() promises.
    return this.end('rollback', this.host.send({ op: 'rollback', txId: this.id }).then(settled, settled));
  }

  /**
   * Runs `fn` in a savepoint of this transaction (a nested transaction): what it did is kept when
   * it returns, and undone when it throws (rethrowing); the transaction goes on either way. Await
   * one before starting the next. The SQL `SAVEPOINT name` / `RELEASE name` / `ROLLBACK TO name`
   * through `tx.run` or `tx.query` does the same by hand (names starting with `baton_` are reserved).
   */
  async savepoint<R>(fn: (tx: Transaction) => Promise<R> | R): Promise<R> {
    if (typeof fn !== 'function') throw invalidArgument('savepoint takes a function (tx) => ...');
    const name = `${SAVEPOINT_PREFIX}${this.savepoints++}`;
    try {
      await this.run(`SAVEPOINT ${name}`);
      let result: R;
      try {
        result = await this.host.runOwnCode(() => fn(this));
      } catch (e) {
        // The transaction may have ended under it (cut, OR ROLLBACK): then there is nothing to undo.
        // If the savepoint cannot be undone (fn released it by hand), the whole transaction is
        // rolled back rather than let a commit keep what fn's failure should have undone.
        if (this.active)
          await this.run(`ROLLBACK TO ${name}`)
            .then(() => this.run(`RELEASE ${name}`))
            .catch(() => this.rollback());
        throw e;
      }
      await this.run(`RELEASE ${name}`);
      return result;
    } finally {
      this.savepoints--;
    }
  }

  protected send<O extends StatementOp>(body: RequestBody<O>): Promise<ReplyOf<O>> {
    if (this.ending) return Promise.reject(ended(this.ending.op === 'commit' ? 'has been committed' : 'has been rolled back'));
    return this.host.send({ ...body, txId: this.id }).catch((e: unknown) => {
      // The writer no longer knows this transaction (cut, or ended by SQLite): stop taking statements.
      if (e instanceof SqliteError && e.code === 'TRANSACTION_ABORTED' && !this.ending) {
        this.end('rollback', Promise.resolve());
      }
      throw e;
    });
  }

  private end(op: 'commit' | 'rollback', request: Promise<unknown>): Promise<void> {
    const done = request.then(
      () => this.host.ended(this),
      (e: unknown) => {
        this.host.ended(this);
        throw e;
      },
    );
    done.catch(() => undefined);
    this.ending = { op, done };
    return done;
  }
}

function settled(): void {}
