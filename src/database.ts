import { SqliteError, invalidArgument } from './errors.ts';
import { randomId } from './ids.ts';
import type { ResolvedOptions } from './options.ts';
import type { Op, Request, ReplyOf, RequestBody } from './protocol.ts';
import { Transaction, type TransactionHost } from './transaction.ts';
import type { DatabaseEventMap, Status, Storage } from './types.ts';
import { Verbs } from './verbs.ts';
import type { TabRouter } from './tab-router.ts';

type Listener<K extends keyof DatabaseEventMap> = (event: DatabaseEventMap[K]) => unknown;

function deadlock(op: string): SqliteError {
  return new SqliteError(
    'TRANSACTION_DEADLOCK',
    `db.${op === 'begin' ? 'begin/transaction' : op} was called by the code of this tab's open transaction: it would wait for that ` +
      'transaction to end, which waits for this call. Inside a transaction use tx (tx.run, tx.query, tx.savepoint...), not db; ' +
      'or make the call after commit().',
  );
}

function waitedForOwnTransaction(op: string): SqliteError {
  return new SqliteError(
    'LOCK_TIMEOUT',
    `db.${op} waited its whole lockTimeout for this tab's own open transaction (db.begin() or db.transaction()) to end: ` +
      "a db call waits for every open transaction, this tab's too. Inside a transaction use tx, not db; otherwise commit or roll back first.",
  );
}

/**
 * A database shared by every tab of the origin. Create it with {@link openDatabase}.
 *
 * It is an EventTarget with typed events (see {@link DatabaseEventMap}): `leaderchange` when this
 * tab's view of the leader changes; `fallback` when OPFS was not available and the data lives in
 * memory.
 */
export class Database extends Verbs implements EventTarget {
  /** Set once `close()` was called. */
  private closing: Promise<void> | undefined;
  private readonly events = new EventTarget();
  /** This handle's transaction while it holds the writer (begun, not yet ended). */
  private holding: Transaction | undefined;
  /**
   * > 0 while a transaction's function (db.transaction, tx.savepoint) runs synchronously. A db
   * call made there is the transaction's own code calling db, and waits for that transaction's end.
   */
  private ownCode = 0;
  private readonly host: TransactionHost = {
    send: (body) => this.dispatch(body),
    runOwnCode: (fn) => {
      this.ownCode++;
      try {
        return fn();
      } finally {
        this.ownCode--;
      }
    },
    ended: (tx) => {
      if (this.holding === tx) this.holding = undefined;
    },
  };

  /** @internal Use {@link openDatabase}. */
  constructor(
    /** The name given to openDatabase. */
    readonly name: string,
    /** Where the data really is: 'opfs', or 'memory' when asked for or when OPFS was missing. */
    readonly storage: Storage,
    private readonly router: TabRouter,
    private readonly options: ResolvedOptions,
  ) {
    super();
  }

  /**
   * Begins an interactive transaction and returns its handle: statements on it run inside the
   * transaction, which holds the writer for every tab until `tx.commit()` or `tx.rollback()`.
   * While it is open, calls on `db` (from this tab too) wait for it to end: use `tx` inside.
   *
   * @example
   * const tx = await db.begin();
   * try {
   *   await tx.run('UPDATE accounts SET balance = balance - 10 WHERE id = ?', [1]);
   *   await tx.run('UPDATE accounts SET balance = balance + 10 WHERE id = ?', [2]);
   *   await tx.commit();
   * } catch (e) {
   *   await tx.rollback();
   *   throw e;
   * }
   */
  async begin(): Promise<Transaction> {
    const txId = randomId();
    try {
      await this.send({ op: 'begin', txId });
    } catch (e) {
      // The BEGIN may have been applied and only its answer lost: make sure it does not stay open.
      await this.dispatch({ op: 'rollback', txId }).catch(() => undefined);
      throw e;
    }
    const tx = new Transaction(txId, this.host);
    this.holding = tx;
    return tx;
  }

  /**
   * Runs `fn` in an interactive transaction that holds the writer for every tab: it commits
   * when `fn` returns and rolls back when it throws (rethrowing). Use `tx`, not `db`, inside:
   * a `db` call would wait for this very transaction to end (TRANSACTION_DEADLOCK when that is
   * certain, LOCK_TIMEOUT otherwise).
   */
  async transaction<R>(fn: (tx: Transaction) => Promise<R> | R): Promise<R> {
    if (typeof fn !== 'function') throw invalidArgument('transaction takes an async function (tx) => ...');
    const tx = await this.begin();
    let result: R;
    try {
      result = await this.host.runOwnCode(() => fn(tx));
    } catch (e) {
      // fn may have ended the transaction itself; its error is the one to report.
      await tx.rollback().catch(() => undefined);
      throw e;
    }
    await tx.commit();
    return result;
  }

  /**
   * The whole database as a plain SQLite file (a consistent snapshot), e.g. for a download or a
   * backup. If SQLite cannot read the file any more, the file's bytes as stored.
   */
  async export(): Promise<Uint8Array> {
    return this.send({ op: 'export' });
  }

  /**
   * Replaces the whole database with `image` (an SQLite file), for every tab. The image is
   * checked in full first: one that is not SQLite rejects with SQLITE_NOTADB, a damaged one with
   * SQLITE_CORRUPT, and the database is then left as it was.
   */
  async import(image: Uint8Array): Promise<void> {
    if (!(image instanceof Uint8Array)) throw invalidArgument('import takes the database image as a Uint8Array');
    await this.send({ op: 'import', image });
  }

  /** This tab's view: role, ids, epoch, the writer queue's depth. */
  status(): Promise<Status> {
    if (this.closing) return Promise.reject(closedError());
    return this.router.status();
  }

  /** Closes this handle: the worker ends and, if it led, the next tab takes over the file. */
  close(): Promise<void> {
    this.closing ??= this.router.close();
    return this.closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  addEventListener<K extends keyof DatabaseEventMap>(
    type: K,
    listener: Listener<K> | null,
    options?: boolean | AddEventListenerOptions,
  ): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | AddEventListenerOptions): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | AddEventListenerOptions): void {
    this.events.addEventListener(type, listener, options);
  }

  removeEventListener<K extends keyof DatabaseEventMap>(
    type: K,
    listener: Listener<K> | null,
    options?: boolean | EventListenerOptions,
  ): void;
  removeEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | EventListenerOptions): void;
  removeEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | EventListenerOptions): void {
    this.events.removeEventListener(type, listener, options);
  }

  dispatchEvent(event: Event): boolean {
    return this.events.dispatchEvent(event);
  }

  /** @internal Ends this tab's worker the hard way, as a crash would. For demos and fault tests. */
  terminateWorker(): Promise<void> {
    return this.router.worker.terminate();
  }

  /**
   * @internal For tests of the forwarded path: `false` sends this tab's calls through its own
   * worker even when the page could reach the leader directly.
   */
  allowDirectPath(allowed: boolean): void {
    this.router.directAllowed = allowed;
  }

  /** @internal Raised by openDatabase and the worker link. */
  emitEvent<K extends keyof DatabaseEventMap>(type: K, detail: DatabaseEventMap[K]['detail']): void {
    this.events.dispatchEvent(new CustomEvent(type, { detail }));
  }

  /**
   * A call of `db` itself. Every one waits for an open transaction, this tab's too. One made on
   * the stack of this handle's transaction function is that transaction's own code calling db:
   * awaited there, it could only end at its lockTimeout, so it is refused at once. Whether code
   * elsewhere in the tab awaits a call inside a transaction cannot be known (a timer or a UI
   * refresh may legitimately wait for the commit): such a call waits, and if it times out while
   * the same transaction held the writer all along, its LOCK_TIMEOUT says so.
   */
  protected send<O extends Op>(body: RequestBody<O>): Promise<ReplyOf<O>> {
    const holding = this.holding;
    if (holding && this.ownCode > 0) return Promise.reject(deadlock(body.op));
    const reply = this.dispatch(body);
    if (!holding) return reply;
    return reply.catch((e: unknown) => {
      // The same transaction held the writer from the call to its timeout: that is what it waited for.
      if (e instanceof SqliteError && e.code === 'LOCK_TIMEOUT' && this.holding === holding) throw waitedForOwnTransaction(body.op);
      throw e;
    });
  }

  /** Sends one request to the worker, with the ids and deadline every call gets. */
  private dispatch<O extends Op>(body: RequestBody<O>): Promise<ReplyOf<O>> {
    if (this.closing) return Promise.reject(closedError());
    const request = {
      ...body,
      requestId: randomId(16),
      deadline: Date.now() + this.options.lockTimeout,
      queryTimeout: this.options.queryTimeout,
    } as Request;
    // The worker answers each op with its own reply type (protocol.ts `Replies`).
    return this.router.call(request) as Promise<ReplyOf<O>>;
  }
}

function closedError(): SqliteError {
  return new SqliteError('DATABASE_CLOSED', 'the database is closed; open it again with openDatabase()');
}
