import { SqliteError } from '../src/errors.ts';
import { forEachStatement, packResults } from '../src/batch-wire.ts';
import type { BatchResult, Reply, Request } from '../src/protocol.ts';
import type { Connection } from './connection.ts';
import type { RequestLog } from './request-log.ts';
import { Gathering } from './gathering.ts';

/**
 * The writer queue: the one place where statements reach the connection. Requests run in arrival
 * order. The ones that arrive together run as one group: one SQLite transaction and one flush,
 * each write in its own savepoint, so a failing write is undone alone and only its caller sees the
 * error; every caller is answered after the shared COMMIT has returned (group commit).
 *
 * An interactive transaction owns the writer from BEGIN to COMMIT/ROLLBACK: everything else
 * waits in the queue (never fails), until its lock-wait deadline passes (LOCK_TIMEOUT).
 */

/** Upper bound on one group, so a long queue still yields to new messages between commits. */
const MAX_GROUP = 1024;

/** PRAGMA and VACUUM run outside any transaction: inside one they fail or silently do nothing. */
const STANDALONE = /^\s*(?:(?:--[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/)\s*)*(?:pragma|vacuum)\b/i;

interface Job {
  callerId: string;
  request: Request;
  /** Set for work that must run alone, outside any transaction (import, export). */
  work?: () => Reply;
  resolve(reply: Reply): void;
  reject(error: unknown): void;
}

function isSameBegin(job: Job, callerId: string, request: Request): boolean {
  return job.request.op === 'begin' && job.request.txId === request.txId && job.callerId === callerId;
}

/** A promise settled as `job` is, whenever that happens. */
function settledWith(job: Job): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const first = { resolve: job.resolve, reject: job.reject };
    job.resolve = (reply) => {
      first.resolve(reply);
      resolve(reply);
    };
    job.reject = (error) => {
      first.reject(error);
      reject(error);
    };
  });
}

interface OpenTransaction {
  id: string;
  ownerId: string;
}

export interface WriterHooks {
  /** An interactive transaction began for `ownerId`: watch that tab, and call `abortTransaction` if it dies. */
  onTransactionStart(ownerId: string): void;
}

function lockTimeout(request: Request): SqliteError {
  return new SqliteError('LOCK_TIMEOUT', `${request.op} waited past its lockTimeout for the writer`);
}

function aborted(): SqliteError {
  return new SqliteError(
    'TRANSACTION_ABORTED',
    'the transaction was rolled back (its tab, worker or leader went away, or SQLite ended it); none of it was applied',
  );
}

function isStandalone(request: Request): boolean {
  return 'sql' in request && STANDALONE.test(request.sql);
}

function distinctCallers(jobs: readonly Job[]): number {
  return new Set(jobs.map((job) => job.callerId)).size;
}

export class Writer {
  private readonly queue: Job[] = [];
  private tx: OpenTransaction | null = null;
  private scheduled = false;
  private expiryTimer: ReturnType<typeof setTimeout> | undefined;
  private closedWith: SqliteError | undefined;
  // A posted message runs after the messages already waiting, unlike a microtask: that is what
  // lets requests that arrived during a flush gather into the next group.
  private readonly tick = new MessageChannel();
  private readonly gathering = new Gathering(() => this.schedule());

  constructor(
    private readonly conn: Connection,
    private readonly log: RequestLog,
    private readonly hooks: WriterHooks,
  ) {
    this.tick.port1.onmessage = () => this.drainOnce();
  }

  /** COMMITs so far (of a group or a transaction), and the write calls they carried. */
  commits = 0;
  committedWrites = 0;

  /** Requests waiting for the writer. */
  get depth(): number {
    return this.queue.length;
  }

  get inTransaction(): boolean {
    return this.tx !== null;
  }

  /** Queues a request (or runs it at once when it belongs to the open transaction). */
  submit(callerId: string, request: Request): Promise<Reply> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    // A retried BEGIN (its reply was lost on the way) of the transaction already open for this
    // caller: it is open, say so. Queued, it would wait behind itself until its lockTimeout.
    if (request.op === 'begin' && this.tx?.id === request.txId && this.tx.ownerId === callerId) return Promise.resolve(undefined);
    // The same, arriving while the first BEGIN still waits in the queue (behind another transaction,
    // or before the writer's next tick: Firefox delivers two channel messages before it, Chromium
    // one). Queued twice, the second would open a transaction nobody ends: it shares the first's answer.
    const twin = request.op === 'begin' ? this.queue.find((job) => isSameBegin(job, callerId, request)) : undefined;
    if (twin) return settledWith(twin);
    if (request.txId !== undefined && request.op !== 'begin') {
      try {
        return Promise.resolve(this.inTransaction_(callerId, request));
      } catch (e) {
        return Promise.reject(e);
      }
    }
    return this.enqueue(callerId, request);
  }

  /** Queues `work` to run alone, in arrival order, when no transaction holds the writer. */
  exclusive(callerId: string, request: Request, work: () => Reply): Promise<Reply> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    return this.enqueue(callerId, request, work);
  }

  private enqueue(callerId: string, request: Request, work?: () => Reply): Promise<Reply> {
    // A read that finds the writer idle runs now: nothing is waiting for it to keep order with,
    // and a turn through the tick costs more than the read (a point read takes a few µs).
    if (this.queue.length === 0 && this.tx === null && !work && this.isRead(request)) {
      if (request.deadline < Date.now()) return Promise.reject(lockTimeout(request));
      try {
        return Promise.resolve(this.apply(request));
      } catch (e) {
        return Promise.reject(e);
      }
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ callerId, request, work, resolve, reject });
      this.schedule();
    });
  }

  /** Drops the requests of `callerId` still waiting (none of them started), rejecting them with `error`. */
  cancel(callerId: string, error: SqliteError): void {
    for (let i = this.queue.length - 1; i >= 0; i--) {
      const job = this.queue[i]!;
      if (job.callerId !== callerId) continue;
      this.queue.splice(i, 1);
      job.reject(error);
    }
  }

  /** Rolls back the open transaction if `ownerId` owns it: its tab is gone and will never commit. */
  abortTransaction(ownerId: string): void {
    if (this.tx?.ownerId !== ownerId) return;
    if (!this.conn.autocommit) this.conn.control('ROLLBACK');
    this.endTransaction();
  }

  /** Rejects everything waiting with `error` and stops; the open transaction is rolled back. */
  close(error: SqliteError): void {
    this.closedWith = error;
    clearTimeout(this.expiryTimer);
    this.gathering.stop();
    this.tick.port1.close();
    if (this.tx && !this.conn.autocommit) this.conn.control('ROLLBACK');
    this.tx = null;
    for (const job of this.queue.splice(0)) job.reject(error);
  }

  private schedule(): void {
    if (this.scheduled || this.closedWith) return;
    this.scheduled = true;
    this.tick.port2.postMessage(null);
  }

  /** Runs one step (a group, a BEGIN or a standalone statement) and schedules the next. */
  private drainOnce(): void {
    this.scheduled = false;
    if (this.closedWith) return;
    if (this.tx !== null) {
      this.armExpiry();
      return;
    }
    this.rejectExpired();
    const head = this.queue[0];
    if (!head) return;
    if (head.request.op === 'begin') this.begin(this.queue.shift()!);
    else if (head.work || isStandalone(head.request)) this.runStandalone(this.queue.shift()!);
    else if (this.gathering.hold(this.waitingWriters())) return;
    else this.runGroup(this.takeGroup());
    if (this.queue.length > 0) this.schedule();
  }

  private takeGroup(): Job[] {
    return this.queue.splice(0, this.groupLength());
  }

  /** How many jobs at the head of the queue can run as one group. */
  private groupLength(): number {
    let end = 0;
    while (end < this.queue.length && end < MAX_GROUP) {
      const { request, work } = this.queue[end]!;
      if (work || request.op === 'begin' || isStandalone(request)) break;
      end++;
    }
    return end;
  }

  /** Distinct callers among the jobs the next group would take. */
  private waitingWriters(): number {
    return distinctCallers(this.queue.slice(0, this.groupLength()));
  }

  private rejectExpired(): void {
    const now = Date.now();
    for (let i = this.queue.length - 1; i >= 0; i--) {
      const job = this.queue[i]!;
      if (job.request.deadline < now) {
        this.queue.splice(i, 1);
        job.reject(lockTimeout(job.request));
      }
    }
  }

  /** While a transaction holds the writer, wake up at the earliest deadline of those waiting. */
  private armExpiry(): void {
    clearTimeout(this.expiryTimer);
    if (this.queue.length === 0) return;
    const earliest = Math.min(...this.queue.map((job) => job.request.deadline));
    this.expiryTimer = setTimeout(
      () => {
        this.rejectExpired();
        if (this.tx !== null) this.armExpiry();
      },
      Math.max(0, earliest - Date.now()) + 1,
    );
  }

  private runGroup(group: Job[]): void {
    // Reads at the head of the group come before any of its writes: answer them now, from the
    // committed state, rather than after the group's flush.
    let first = 0;
    while (first < group.length && this.isRead(group[first]!.request)) {
      const job = group[first++]!;
      try {
        job.resolve(this.apply(job.request));
      } catch (e) {
        job.reject(e);
      }
    }
    const jobs = first === 0 ? group : group.slice(first);
    if (jobs.length === 0) return;
    const done: Array<[Job, Reply]> = [];
    try {
      this.conn.control('BEGIN');
    } catch (e) {
      for (const job of jobs) job.reject(e);
      return;
    }
    for (let i = 0; i < jobs.length; i++) {
      const job = jobs[i]!;
      try {
        done.push([job, this.applyOnce(job.request)]);
      } catch (e) {
        job.reject(e);
        if (this.conn.autocommit) {
          // SQLite ended the whole transaction (OR ROLLBACK, I/O error): the jobs before this one
          // were undone with it, so run them again, with the rest, in the next group.
          this.queue.unshift(...done.map(([j]) => j), ...jobs.slice(i + 1));
          return;
        }
      }
    }
    const committing = performance.now();
    try {
      this.log.prune(Date.now());
      this.conn.control('COMMIT');
    } catch (e) {
      if (!this.conn.autocommit) this.conn.control('ROLLBACK');
      for (const [job] of done) job.reject(e);
      return;
    }
    this.gathering.committed(distinctCallers(jobs), performance.now() - committing);
    this.commits++;
    this.committedWrites += done.length;
    for (const [job, reply] of done) job.resolve(reply);
  }

  /**
   * Applies one request inside the group's transaction, exactly once: a request whose id is
   * already recorded is answered from the record; a write is recorded in its own savepoint.
   */
  /** A single statement that cannot change the database (a statement that does not prepare is not). */
  private isRead(request: Request): boolean {
    if (request.op !== 'all' && request.op !== 'get' && request.op !== 'run') return false;
    try {
      return this.conn.isReadonly(request.sql);
    } catch {
      return false;
    }
  }

  private applyOnce(request: Request): Reply {
    if (this.isRead(request)) return this.apply(request);
    const recorded = this.log.find(request.requestId, request.deadline);
    if (recorded) return recorded.reply;
    return this.atomically(() => {
      const reply = this.apply(request);
      // A deferred foreign key left broken would fail the group's COMMIT, and with it every other
      // caller's write: fail this write alone, as its own COMMIT would have.
      this.conn.checkDeferredForeignKeys();
      this.log.record(request.requestId, reply, request.deadline);
      return reply;
    });
  }

  /** Runs `fn` in a savepoint: all of it applies, or none of it. */
  private atomically<T>(fn: () => T): T {
    this.conn.control('SAVEPOINT baton_request');
    try {
      const result = fn();
      this.conn.control('RELEASE baton_request');
      return result;
    } catch (e) {
      if (!this.conn.autocommit) {
        this.conn.control('ROLLBACK TO baton_request');
        this.conn.control('RELEASE baton_request');
      }
      throw e;
    }
  }

  /** Runs the statement(s) of one request under its queryTimeout; no transaction handling. */
  private apply(request: Request): Reply {
    return this.conn.timed(request.queryTimeout, () => this.applyStatements(request));
  }

  private applyStatements(request: Request): Reply {
    switch (request.op) {
      case 'exec':
        this.conn.exec(request.sql);
        return undefined;
      case 'run': {
        const { changes, lastInsertRowid } = this.conn.query(request.sql, request.params, 0);
        return { changes, lastInsertRowid };
      }
      case 'all':
        return this.conn.query(request.sql, request.params).rows;
      case 'get':
        return this.conn.query(request.sql, request.params, 1).rows[0];
      case 'batch': {
        const results: BatchResult[] = [];
        forEachStatement(request.statements, (sql, params) => results.push(this.conn.query(sql, params)));
        return packResults(results);
      }
      default:
        throw new SqliteError('INVALID_ARGUMENT', `${request.op} cannot run as a statement`);
    }
  }

  private runStandalone(job: Job): void {
    try {
      job.resolve(job.work ? job.work() : this.apply(job.request));
    } catch (e) {
      job.reject(e);
    }
  }

  private begin(job: Job): void {
    try {
      this.conn.control('BEGIN IMMEDIATE');
    } catch (e) {
      job.reject(e);
      return;
    }
    this.tx = { id: job.request.txId!, ownerId: job.callerId };
    this.hooks.onTransactionStart(job.callerId);
    job.resolve(undefined);
  }

  private endTransaction(): void {
    this.tx = null;
    clearTimeout(this.expiryTimer);
    this.schedule();
  }

  /** A statement, COMMIT or ROLLBACK of an interactive transaction. */
  private inTransaction_(callerId: string, request: Request): Reply {
    const tx = this.tx;
    if (tx === null || tx.id !== request.txId || tx.ownerId !== callerId) {
      if (request.op === 'rollback') return undefined;
      // A retried COMMIT after a leader change: the record says whether it landed.
      if (request.op === 'commit' && this.log.find(request.requestId, request.deadline)) return undefined;
      throw aborted();
    }
    switch (request.op) {
      case 'commit':
        try {
          this.log.record(request.requestId, undefined, request.deadline);
          this.log.prune(Date.now());
          this.conn.control('COMMIT');
        } catch (e) {
          if (!this.conn.autocommit) this.conn.control('ROLLBACK');
          this.endTransaction();
          throw e;
        }
        this.commits++;
        this.committedWrites++;
        this.endTransaction();
        return undefined;
      case 'rollback':
        if (!this.conn.autocommit) this.conn.control('ROLLBACK');
        this.endTransaction();
        return undefined;
      default:
        try {
          // batch and exec may hold several statements: all of them apply or none, as outside a
          // transaction (a single statement is undone alone by SQLite itself).
          const several = request.op === 'batch' || request.op === 'exec';
          return several ? this.atomically(() => this.apply(request)) : this.apply(request);
        } finally {
          // SQLite may end the transaction itself (OR ROLLBACK, I/O error): then it is over.
          if (this.conn.autocommit) this.endTransaction();
        }
    }
  }
}
