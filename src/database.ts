import { ChangeFeed } from './change-feed.ts';
import { SqliteError, invalidArgument } from './errors.ts';
import { randomId } from './ids.ts';
import type { SchemaVersion } from './migrations/schema-version.ts';
import type { ResolvedOptions } from './options.ts';
import { checkParams, checkSql } from './params.ts';
import type { Op, Request, ReplyOf, RequestBody, WorkerEvent } from './protocol.ts';
import { Transaction, type TransactionHost } from './transaction.ts';
import type { DatabaseEventMap, Row, SqlParams, Status, Storage, Unwatch, WatchListener, WatchOptions } from './types.ts';
import { Verbs } from './verbs.ts';
import type { TabRouter } from './tab-router.ts';
import { Watch, checkWatchOptions, type WatchHost, type WatchSettings } from './watch.ts';

/** `Symbol.dispose` where the platform has it, else the well-known key TypeScript's `using` falls back to. */
const DISPOSE = (Symbol.dispose ?? Symbol.for('Symbol.dispose')) as typeof Symbol.dispose;

type Listener<K extends keyof DatabaseEventMap> = (event: DatabaseEventMap[K]) => unknown;

let routerOf: (db: Database) => TabRouter;

/**
 * A handle's router, for the fault-injection helpers of `sqlite-baton/testing` (src/testing.ts),
 * which are not part of the Database API.
 */
export function internalRouter(db: Database): TabRouter {
  return routerOf(db);
}

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
 * memory; `versionchange` when another tab migrated the database past this tab's migrations;
 * `change` after each commit, from any tab, with the tables it changed (live queries: {@link Database.watch}).
 */
export class Database extends Verbs implements EventTarget {
  static {
    routerOf = (db) => db.router;
  }

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

  /** Change notices: the `change` event and live queries. */
  private readonly feed: ChangeFeed;
  private readonly watchHost: WatchHost = {
    read: (sql, params) => this.dispatch({ op: 'snapshot', sql, params }),
    drop: (watch) => this.feed.drop(watch),
  };

  /** @internal Use {@link openDatabase}. */
  constructor(
    /** The name given to openDatabase. */
    readonly name: string,
    /** Where the data really is: 'opfs', or 'memory' when asked for or when OPFS was missing. */
    readonly storage: Storage,
    private readonly router: TabRouter,
    private readonly options: ResolvedOptions,
    /** Set when opened with `migrations`: the version this tab's requests carry. */
    private readonly schema?: SchemaVersion,
  ) {
    super();
    // A private (in-memory) database's notices come from its worker: no other tab shares it.
    this.feed = new ChangeFeed(name, storage !== 'memory', (detail) => this.emitEvent('change', detail));
  }

  /**
   * A live query: calls `listener` with the rows of `sql` at once, then again after every commit,
   * from any tab, that changed a table the query reads, whenever the rows differ from the last
   * ones delivered. Returns the function that stops it (also `using stop = db.watch(...)`).
   *
   * Which tables the query reads comes from SQLite when it prepares the statement, which tables a
   * commit changed from SQLite's hooks; nothing is parsed. Rows are delivered only for committed
   * data (never another tab's open transaction, nor this tab's before its COMMIT), as a consistent
   * snapshot taken at or after the commit that triggered them. However fast other tabs write, a
   * watch has at most one read in flight and one more pending.
   *
   * @example
   * const stop = db.watch('SELECT id, title FROM todos WHERE done = 0 ORDER BY id', [], (rows) => render(rows), {
   *   onError: (e) => console.error(e),
   * });
   * // later: stop();
   *
   * @example
   * // Keyed: also what was added, removed and changed; unchanged rows keep their identity.
   * db.watch('SELECT * FROM todos', [], (rows, diff) => patch(diff!), { key: 'id' });
   */
  watch<T = Row>(sql: string, params: SqlParams | undefined, listener: WatchListener<T>, options?: WatchOptions<T>): Unwatch {
    checkSql(sql);
    checkParams(params);
    if (typeof listener !== 'function') throw invalidArgument('watch takes a listener function (rows, diff) => ...');
    checkWatchOptions(options);
    // Rows are the caller's claim about its own SQL, as in `all<T>`.
    const settings = { listener, onError: options?.onError, key: options?.key } as WatchSettings;
    return this.startWatch(sql, params, settings, options?.signal);
  }

  /** @internal A watch with the settings of live-query.ts (its outcome after every run). */
  startWatch(sql: string, params: SqlParams | undefined, settings: WatchSettings, signal?: AbortSignal): Unwatch {
    if (this.closing) throw closedError();
    // The caller may change its array or object afterwards: every run binds what was given now.
    const bound = params === undefined ? undefined : Array.isArray(params) ? [...params] : { ...params };
    const watch = new Watch(this.watchHost, sql, bound, settings);
    const stop = () => {
      signal?.removeEventListener('abort', stop);
      watch.stop();
    };
    const unwatch: Unwatch = Object.assign(stop, { [DISPOSE]: stop } as { [Symbol.dispose]: () => void });
    if (signal?.aborted) return unwatch;
    signal?.addEventListener('abort', stop, { once: true });
    // Listening first: every commit after the first read is then heard.
    this.feed.add(watch);
    watch.start();
    return unwatch;
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
    if (!this.closing) {
      this.feed.close();
      this.schema?.close();
      this.closing = this.router.close();
    }
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
    // Change notices are heard only while a listener (or a watch) needs them.
    if (type === 'change' && listener) this.feed.listener(listener, true);
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
    if (type === 'change' && listener) this.feed.listener(listener, false);
  }

  dispatchEvent(event: Event): boolean {
    return this.events.dispatchEvent(event);
  }

  /** @internal The database's schema version, read by a request that carries none (never refused SCHEMA_CHANGED). */
  async readSchemaVersion(): Promise<number> {
    const row = await this.dispatch({ op: 'get', sql: 'SELECT user_version AS v FROM pragma_user_version' }, false);
    return Number(row?.v ?? 0);
  }

  /** @internal Raised by openDatabase and the worker link. */
  emitEvent<K extends keyof DatabaseEventMap>(type: K, detail: DatabaseEventMap[K]['detail']): void {
    this.events.dispatchEvent(new CustomEvent(type, { detail }));
  }

  /** @internal This tab's worker follows a new leader, or (private database) posted a change notice. */
  fromWorker(event: WorkerEvent): void {
    if (event.type === 'change') return this.feed.receive(event.notice);
    this.feed.leaderChanged(event.epoch);
    this.emitEvent('leaderchange', { leaderId: event.leaderId, epoch: event.epoch, role: event.role });
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

  /**
   * Sends one request to the worker, with the ids and deadline every call gets and, unless
   * `stamped` is false, the schema version this tab knows.
   */
  private dispatch<O extends Op>(body: RequestBody<O>, stamped = true): Promise<ReplyOf<O>> {
    if (this.closing) return Promise.reject(closedError());
    const schemaVersion = stamped ? this.schema?.stamp() : undefined;
    const request = {
      ...body,
      requestId: randomId(16),
      deadline: Date.now() + this.options.lockTimeout,
      queryTimeout: this.options.queryTimeout,
      ...(schemaVersion === undefined ? {} : { schemaVersion }),
    } as Request;
    // The worker answers each op with its own reply type (protocol.ts `Replies`).
    const reply = this.router.call(request) as Promise<ReplyOf<O>>;
    if (schemaVersion === undefined) return reply;
    return reply.catch((e: unknown) => {
      // The leader refused it: another tab migrated. Make sure the app hears of it.
      if (e instanceof SqliteError && e.code === 'SCHEMA_CHANGED') this.schema?.check();
      throw e;
    });
  }
}

function closedError(): SqliteError {
  return new SqliteError('DATABASE_CLOSED', 'the database is closed; open it again with openDatabase()');
}
