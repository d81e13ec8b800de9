import { SqliteError, invalidArgument } from './errors.ts';
import { randomId } from './ids.ts';
import type { ResolvedOptions } from './options.ts';
import type { Op, Request, ReplyOf, RequestBody } from './protocol.ts';
import { Transaction } from './transaction.ts';
import type { DatabaseEventMap, Status, Storage } from './types.ts';
import { Verbs } from './verbs.ts';
import type { TabRouter } from './tab-router.ts';

type Listener<K extends keyof DatabaseEventMap> = (event: DatabaseEventMap[K]) => unknown;

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
   * Runs `fn` in an interactive transaction that holds the writer for every tab: it commits
   * when `fn` returns and rolls back when it throws (rethrowing). Use `tx`, not `db`, inside:
   * a `db` call would wait for this very transaction to end.
   */
  async transaction<R>(fn: (tx: Transaction) => Promise<R> | R): Promise<R> {
    if (typeof fn !== 'function') throw invalidArgument('transaction takes an async function (tx) => ...');
    const txId = randomId();
    try {
      await this.send({ op: 'begin', txId });
    } catch (e) {
      // The BEGIN may have been applied and only its answer lost: make sure it does not stay open.
      await this.send({ op: 'rollback', txId }).catch(() => undefined);
      throw e;
    }
    const tx = new Transaction((body) => this.send({ ...body, txId }));
    let result: R;
    try {
      result = await fn(tx);
    } catch (e) {
      tx.end();
      await this.send({ op: 'rollback', txId }).catch(() => undefined);
      throw e;
    }
    tx.end();
    await this.send({ op: 'commit', txId });
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

  protected send<O extends Op>(body: RequestBody<O>): Promise<ReplyOf<O>> {
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
