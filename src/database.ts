import { SqliteError, invalidArgument } from './errors.ts';
import { randomId } from './ids.ts';
import type { ResolvedOptions } from './options.ts';
import { packStatements, unpackResults, type PackedResults } from './batch-wire.ts';
import { checkBatch, checkParams, checkSql } from './params.ts';
import type { BatchResult, BatchStatement, Reply, Request, Row, RunResult, SqlParams, Status, Storage } from './protocol.ts';
import { Transaction } from './transaction.ts';
import type { WorkerLink } from './worker-link.ts';

/** Detail of the `leaderchange` event. */
export interface LeaderChange {
  /** The leader's tab id, or null while a new leader is being elected. */
  leaderId: string | null;
  epoch: number;
  /** This tab's role after the change. */
  role: 'leader' | 'follower';
}

/** Requests without the fields every call gets. */
type RequestBody = Request extends infer R ? (R extends Request ? Omit<R, 'requestId' | 'deadline'> : never) : never;

/**
 * A database shared by every tab of the origin. Create it with {@link openDatabase}.
 *
 * Events (it is an EventTarget): `leaderchange` (CustomEvent<LeaderChange>) when this tab's view
 * of the leader changes; `fallback` (CustomEvent<{ reason }>) when OPFS was not available and the
 * data lives in memory.
 */
export class Database extends EventTarget {
  /** Set once `close()` was called. */
  private closing: Promise<void> | undefined;

  /** @internal Use {@link openDatabase}. */
  constructor(
    /** The name given to openDatabase. */
    readonly name: string,
    /** Where the data really is: 'opfs', or 'memory' when asked for or when OPFS was missing. */
    readonly storage: Storage,
    private readonly link: WorkerLink,
    private readonly options: ResolvedOptions,
  ) {
    super();
  }

  /** Runs one or more statements separated by semicolons; no parameters, no results. */
  async exec(sql: string): Promise<void> {
    checkSql(sql);
    return this.send({ op: 'exec', sql }) as Promise<void>;
  }

  /** Runs one statement for its effect. */
  async run(sql: string, params?: SqlParams): Promise<RunResult> {
    checkSql(sql);
    checkParams(params);
    return this.send({ op: 'run', sql, params }) as Promise<RunResult>;
  }

  /** Runs one statement and returns every row, as objects keyed by column name. */
  async all<T = Row>(sql: string, params?: SqlParams): Promise<T[]> {
    checkSql(sql);
    checkParams(params);
    return this.send({ op: 'all', sql, params }) as Promise<T[]>;
  }

  /** Runs one statement and returns its first row, or undefined. */
  async get<T = Row>(sql: string, params?: SqlParams): Promise<T | undefined> {
    checkSql(sql);
    checkParams(params);
    return this.send({ op: 'get', sql, params }) as Promise<T | undefined>;
  }

  /** Runs several statements atomically (all or none) in one round trip. */
  async batch(statements: BatchStatement[]): Promise<BatchResult[]> {
    checkBatch(statements);
    return unpackResults((await this.send({ op: 'batch', statements: packStatements(statements) })) as PackedResults);
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
    return this.send({ op: 'export' }) as Promise<Uint8Array>;
  }

  /**
   * Replaces the whole database with `image` (an SQLite file), for every tab. The image is
   * checked in full first: one that is not SQLite rejects with SQLITE_NOTADB, a damaged one with
   * SQLITE_CORRUPT, and the database is then left as it was.
   */
  async import(image: Uint8Array): Promise<void> {
    if (!(image instanceof Uint8Array)) throw invalidArgument('import takes the database image as a Uint8Array');
    return this.send({ op: 'import', image }) as Promise<void>;
  }

  /** This tab's view: role, ids, epoch, the writer queue's depth. */
  status(): Promise<Status> {
    if (this.closing) return Promise.reject(closedError());
    return this.link.status();
  }

  /** Closes this handle: the worker ends and, if it led, the next tab takes over the file. */
  close(): Promise<void> {
    this.closing ??= this.link.close();
    return this.closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** @internal Ends this tab's worker the hard way, as a crash would. For demos and fault tests. */
  terminateWorker(): Promise<void> {
    return this.link.terminate();
  }

  /** @internal Raised by the worker link. */
  emitEvent(type: string, detail: unknown): void {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  private send(body: RequestBody): Promise<Reply> {
    if (this.closing) return Promise.reject(closedError());
    const request = {
      ...body,
      requestId: randomId(16),
      deadline: Date.now() + this.options.lockTimeout,
      queryTimeout: this.options.queryTimeout,
    } as Request;
    return this.link.call(request);
  }
}

function closedError(): SqliteError {
  return new SqliteError('DATABASE_CLOSED', 'the database is closed; open it again with openDatabase()');
}
