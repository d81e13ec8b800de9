import { SqliteError } from '../../src/errors.ts';
import type { Reply, Request } from '../../src/protocol.ts';
import type { Connection } from '../engine/connection.ts';
import { faultHook } from '../fault-hook.ts';
import { apply, atomically } from './apply.ts';
import { GroupCommit, MAX_GROUP } from './group-commit.ts';
import { Job } from './job.ts';
import { answerFrom, type RequestLog } from './request-log.ts';
import { SchemaGate } from './schema-gate.ts';
import type { ReaderFile } from '../engine/engine.ts';
import { ReadYielded } from '../engine/sql-guards.ts';
import { HANDOFF_AFTER_MS, ReadHandoff } from '../reader/read-handoff.ts';
import { ReaderGone } from '../reader/reader-link.ts';

/**
 * The writer queue: the one place where statements reach the connection. Requests run in arrival
 * order; the ones that arrive together run as one group (group-commit.ts).
 *
 * Its state is one value: open, in an interactive transaction, or closed. An interactive
 * transaction owns the writer from BEGIN to COMMIT/ROLLBACK: everything else waits in the queue
 * (never fails), until its lock-wait deadline passes (LOCK_TIMEOUT).
 */

type State =
  | { readonly kind: 'open' }
  | { readonly kind: 'transaction'; readonly id: string; readonly ownerId: string }
  | { readonly kind: 'closed'; readonly error: Error };

export interface WriterHooks {
  /** An interactive transaction began for `ownerId`: watch that tab, and call `abortTransaction` if it dies. */
  onTransactionStart(ownerId: string): void;
  /**
   * The engine's step after anything that may have written (engine.ts `afterCommit`: the IndexedDB
   * save); undefined when there is nothing to wait for. Absent: nothing ever is.
   */
  afterCommit?(): Promise<void> | undefined;
  /**
   * A commit changed `tables` and returned (its flush done), and is commit number `seq` of this
   * writer's life (its flush, and its save where the engine has one, done); called before any of
   * its callers is answered.
   */
  onCommit(tables: string[], seq: number): void;
}

function lockTimeout(request: Request): SqliteError {
  return new SqliteError('LOCK_TIMEOUT', `${request.op} waited past its lockTimeout for the writer`);
}

function isSnapshot(job: Job): boolean {
  return job.request.op === 'snapshot';
}

function tooLateToTell(request: Request): SqliteError {
  return new SqliteError(
    'LEADER_UNRESPONSIVE',
    `${request.op} was retried too long after its deadline for the request record to say whether it was applied`,
  );
}

/** Ops whose requests may have been recorded (the writes among them). */
const STATEMENT_OPS: ReadonlySet<string> = new Set(['exec', 'run', 'all', 'get', 'batch']);

function aborted(): SqliteError {
  return new SqliteError(
    'TRANSACTION_ABORTED',
    'the transaction was rolled back (its tab, worker or leader went away, or SQLite ended it); none of it was applied',
  );
}

function isBeginOf(job: Job, callerId: string, request: Request): boolean {
  return job.request.op === 'begin' && job.callerId === callerId && job.request.txId === request.txId;
}

export class Writer {
  private readonly queue: Job[] = [];
  private state: State = { kind: 'open' };
  private scheduled = false;
  /**
   * Set while the engine saves what was just committed: nobody hears of that commit, and nothing
   * else runs (not even a read, which would see it), until the save is done.
   */
  private saving: Promise<void> | undefined;
  private expiryTimer: ReturnType<typeof setTimeout> | undefined;
  // A posted message runs after the messages already waiting, unlike a microtask: that is what
  // lets requests that arrived during a flush gather into the next group.
  private readonly tick = new MessageChannel();
  private readonly groups: GroupCommit;
  private readonly gate: SchemaGate;
  /** Long reads served by a reader worker beside this writer (OPFS with shared handles only). */
  private readonly handoff: ReadHandoff | undefined;

  /** COMMITs so far (of a group or a transaction), and the write calls they carried. */
  commits = 0;
  committedWrites = 0;
  /** The commits that changed at least one table, so far: the `seq` of change notices and snapshots. */
  private changeSeq = 0;

  constructor(
    private readonly conn: Connection,
    private readonly log: RequestLog,
    private readonly hooks: WriterHooks,
    /** The leader's epoch, which a snapshot's reply carries. */
    private readonly epoch: number,
    /** Where a reader worker can open the database file (engine.ts); absent, every read runs here. */
    readerFile?: ReaderFile,
  ) {
    this.tick.port1.onmessage = () => this.drainOnce();
    this.handoff = readerFile ? new ReadHandoff(conn, readerFile, () => this.schedule()) : undefined;
    this.groups = new GroupCommit(
      conn,
      log,
      () => this.schedule(),
      (answer, fail) => this.afterCommit(answer, fail),
      () => this.announceCommit(),
      (job) => this.runRead(job),
      (job) => this.yieldAfter(job),
    );
    this.gate = new SchemaGate(conn);
  }

  /**
   * After a COMMIT returned: numbers the commit and tells the hook which tables it changed, if any
   * (a group whose writes all failed or matched nothing changed none, and is not announced).
   */
  private announceCommit(): void {
    this.announce(this.conn.written.take());
  }

  /** Announces a change of `tables` made outside a statement's reach (an import replaced everything). */
  announce(tables: string[]): void {
    if (tables.length === 0) return;
    this.changeSeq++;
    this.hooks.onCommit(tables, this.changeSeq);
  }

  /** Requests waiting for the writer. */
  get depth(): number {
    return this.queue.length;
  }

  get inTransaction(): boolean {
    return this.state.kind === 'transaction';
  }

  /** Queues a request (or runs it at once when it belongs to the open transaction). */
  submit(callerId: string, request: Request): Promise<Reply> {
    const state = this.state;
    if (state.kind === 'closed') return Promise.reject(state.error);
    // A retried BEGIN (its reply was lost on the way) of the transaction already open for this
    // caller: it is open, say so. Queued, it would wait behind itself until its lockTimeout.
    if (request.op === 'begin' && state.kind === 'transaction' && state.id === request.txId && state.ownerId === callerId) {
      return Promise.resolve(undefined);
    }
    // The same, arriving while the first BEGIN still waits in the queue (behind another transaction,
    // or before the writer's next tick: Firefox delivers two channel messages before it, Chromium
    // one). Queued twice, the second would open a transaction nobody ends: it shares the first's answer.
    const queued = request.op === 'begin' ? this.queue.find((job) => isBeginOf(job, callerId, request)) : undefined;
    if (queued) return queued.join();
    if (request.txId !== undefined && request.op !== 'begin') {
      try {
        return Promise.resolve(this.inOpenTransaction(callerId, request));
      } catch (e) {
        return Promise.reject(e);
      }
    }
    return this.enqueue(callerId, request);
  }

  /** Queues `work` to run alone, in arrival order, when no transaction holds the writer. */
  exclusive(callerId: string, request: Request, work: () => Reply): Promise<Reply> {
    if (this.state.kind === 'closed') return Promise.reject(this.state.error);
    return this.enqueue(callerId, request, work);
  }

  private enqueue(callerId: string, request: Request, work?: () => Reply): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const job = new Job(callerId, request, resolve, reject, work);
      // Already refused now, it would be refused after its wait too (see rejectStale).
      const refused = this.state.kind === 'open' ? this.gate.refusal(request) : undefined;
      if (refused) {
        reject(refused);
        return;
      }
      // A live query's read waits for no write: it reads the committed state, whatever is queued,
      // and says which commit that is. Only an open transaction (uncommitted rows) holds it back.
      if (request.op === 'snapshot' && this.state.kind === 'open') {
        this.runSnapshot(job);
        return;
      }
      // A read that finds the writer idle runs now: nothing is waiting for it to keep order with,
      // and a turn through the tick costs more than the read (a point read takes a few µs).
      if (this.queue.length === 0 && this.state.kind === 'open' && !this.saving && !job.work && job.readsOnly(this.conn)) {
        if (request.deadline < Date.now()) reject(lockTimeout(request));
        else this.runAlone(job);
        return;
      }
      this.queue.push(job);
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
    if (this.state.kind !== 'transaction' || this.state.ownerId !== ownerId) return;
    if (!this.conn.autocommit) this.conn.control('ROLLBACK');
    this.endTransaction();
  }

  /** Rejects everything waiting with `error` and stops; the open transaction is rolled back. */
  close(error: Error): void {
    const wasInTransaction = this.state.kind === 'transaction';
    this.state = { kind: 'closed', error };
    clearTimeout(this.expiryTimer);
    this.groups.stop();
    this.handoff?.close(error);
    this.tick.port1.close();
    if (wasInTransaction && !this.conn.autocommit) this.conn.control('ROLLBACK');
    for (const job of this.queue.splice(0)) job.reject(error);
  }

  private schedule(): void {
    if (this.scheduled || this.state.kind === 'closed') return;
    this.scheduled = true;
    this.tick.port2.postMessage(null);
  }

  /** Runs one step (a group, a BEGIN or a request that runs alone) and schedules the next. */
  private drainOnce(): void {
    this.scheduled = false;
    if (this.state.kind === 'closed' || this.saving) return;
    if (this.state.kind === 'transaction') {
      this.armExpiry();
      return;
    }
    this.rejectExpired();
    this.rejectStale();
    this.runWaitingSnapshots();
    const head = this.queue[0];
    if (!head) return;
    // While the reader reads the database file, nothing may write it: a PRAGMA, VACUUM or an
    // import waits for the thaw, which schedules the writer again.
    if (head.alone && this.handoff?.frozen) return;
    if (head.long) this.handOff(this.queue.shift()!, HANDOFF_AFTER_MS);
    else if (head.request.op === 'begin') this.begin(this.queue.shift()!);
    else if (head.alone) this.runAlone(this.queue.shift()!);
    else {
      const length = this.groupLength();
      if (this.groups.hold(this.queue.slice(0, length))) return;
      const { committed, requeue } = this.groups.run(this.queue.splice(0, length));
      this.queue.unshift(...requeue);
      if (committed !== undefined) {
        this.commits++;
        this.committedWrites += committed;
      }
    }
    this.gate.changed();
    if (this.queue.length > 0) this.schedule();
  }

  /** How many jobs at the head of the queue can run as one group. */
  private groupLength(): number {
    let end = 0;
    while (end < this.queue.length && end < MAX_GROUP) {
      const job = this.queue[end]!;
      if (job.alone || job.request.op === 'begin') break;
      end++;
    }
    return end;
  }

  private rejectExpired(): void {
    const now = Date.now();
    for (let i = this.queue.length - 1; i >= 0; i--) {
      const job = this.queue[i]!;
      if (job.request.deadline < now) {
        this.queue.splice(i, 1);
        this.expire(job, now);
      }
    }
  }

  /**
   * A request past its deadline is never started. A retry of a write whose first attempt was
   * applied (its leader or worker went away before answering) is answered from the record,
   * whatever its deadline; without a record it was not applied and never will be: LOCK_TIMEOUT.
   */
  private expire(job: Job, now: number): void {
    const { request } = job;
    try {
      const recorded = STATEMENT_OPS.has(request.op) ? this.log.find(request.requestId, request.deadline) : undefined;
      if (recorded) job.resolve(answerFrom(recorded));
      else if (this.log.mayHaveForgotten(request.deadline, now)) job.reject(tooLateToTell(request));
      else job.reject(lockTimeout(request));
    } catch (e) {
      job.reject(e);
    }
  }

  /**
   * Refuses the waiting requests of tabs whose code knows an older schema than the file's: asked
   * before every step, so none runs after a migration that committed while it waited.
   */
  private rejectStale(): void {
    for (let i = this.queue.length - 1; i >= 0; i--) {
      const job = this.queue[i]!;
      const refused = this.gate.refusal(job.request);
      if (!refused) continue;
      this.queue.splice(i, 1);
      job.reject(refused);
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
        if (this.state.kind === 'transaction') this.armExpiry();
      },
      Math.max(0, earliest - Date.now()) + 1,
    );
  }

  /**
   * A request that runs on its own, in autocommit: a read, a PRAGMA, VACUUM, an export or an
   * import. Its answer waits for the engine's save even when it failed: an `exec` of several
   * statements may have committed the ones before the failing one.
   */
  private runAlone(job: Job): void {
    if (this.handoff && !job.work && job.readsOnly(this.conn)) return this.runRead(job);
    let outcome: { reply: Reply } | { error: unknown };
    try {
      outcome = { reply: job.work ? job.work() : apply(this.conn, job.request) };
    } catch (e) {
      outcome = { error: e };
    }
    this.afterCommit(
      () => {
        // A PRAGMA, VACUUM, or the statements of an exec before a failing one commit on their own.
        if (this.conn.autocommit) this.announceCommit();
        if ('reply' in outcome) job.resolve(outcome.reply);
        else job.reject(outcome.error);
      },
      (e: unknown) => job.reject(e),
    );
  }

  /** How long `job`, a read, may run here before it is stopped to run in the reader; undefined: to its end. */
  private yieldAfter(job: Job): number | undefined {
    return this.handoff && !job.stayOnLeader && this.handoff.accepts(job.request) ? HANDOFF_AFTER_MS : undefined;
  }

  /**
   * Runs a read outside any transaction and settles it: here, or, if it is still running after
   * HANDOFF_AFTER_MS, in the reader worker (read-handoff.ts).
   */
  private runRead(job: Job): void {
    const started = Date.now();
    try {
      job.resolve(apply(this.conn, job.request, this.yieldAfter(job)));
    } catch (e) {
      if (!(e instanceof ReadYielded)) return job.reject(e);
      this.handOff(job, Date.now() - started);
    }
  }

  /**
   * Hands a long read to the reader. One the reader cannot take now (the file it reads is older
   * than a commit this read must see) runs here to its end; one whose reader died runs here again.
   */
  private handOff(job: Job, ranMs: number): void {
    job.long = false;
    const handed = job.stayOnLeader ? undefined : this.handoff?.run(job.request, ranMs);
    if (!handed) {
      job.stayOnLeader = true;
      try {
        job.resolve(apply(this.conn, job.request));
      } catch (e) {
        job.reject(e);
      }
      return;
    }
    handed.then(
      (reply) => job.resolve(reply),
      (e: unknown) => {
        if (!(e instanceof ReaderGone) || this.state.kind === 'closed') return job.reject(e);
        job.stayOnLeader = true;
        this.queue.unshift(job);
        this.schedule();
      },
    );
  }

  /**
   * Runs `answer` once what was just committed is saved by the engine (at once when it has
   * nothing to save), or `fail` with the save's error. Nothing else runs on the writer in between.
   * This is the step after every commit: whatever must follow a durable commit goes in `answer`.
   */
  private afterCommit(answer: () => void, fail: (error: unknown) => void): void {
    const saving = this.hooks.afterCommit?.();
    if (!saving) return answer();
    this.saving = saving;
    void saving.then(answer, fail).finally(() => {
      this.saving = undefined;
      this.schedule();
    });
  }

  /** A live query's read, with the commit it reflects: every change numbered up to `seq`. */
  private runSnapshot(job: Job): void {
    const request = job.request;
    if (request.op !== 'snapshot') return;
    try {
      const { rows, tables } = this.conn.timed(request.queryTimeout, () => this.conn.snapshot(request.sql, request.params));
      job.resolve({ rows, tables, epoch: this.epoch, seq: this.changeSeq });
    } catch (e) {
      job.reject(e);
    }
  }

  /** Live queries' reads that waited for a transaction to end run before anything else. */
  private runWaitingSnapshots(): void {
    if (!this.queue.some(isSnapshot)) return;
    const waiting = this.queue.splice(0);
    for (const job of waiting) if (!isSnapshot(job)) this.queue.push(job);
    for (const job of waiting) if (isSnapshot(job)) this.runSnapshot(job);
  }

  private begin(job: Job): void {
    faultHook?.('before-begin', 'transaction');
    try {
      this.conn.control('BEGIN IMMEDIATE');
    } catch (e) {
      job.reject(e);
      return;
    }
    this.state = { kind: 'transaction', id: job.request.txId!, ownerId: job.callerId };
    this.hooks.onTransactionStart(job.callerId);
    job.resolve(undefined);
  }

  private endTransaction(): void {
    this.state = { kind: 'open' };
    clearTimeout(this.expiryTimer);
    this.schedule();
  }

  /** A statement, COMMIT or ROLLBACK of an interactive transaction; a COMMIT answers once saved. */
  private inOpenTransaction(callerId: string, request: Request): Reply | Promise<Reply> {
    const state = this.state;
    if (state.kind !== 'transaction' || state.id !== request.txId || state.ownerId !== callerId) {
      if (request.op === 'rollback') return undefined;
      // A retried COMMIT after a leader change: the record says whether it landed.
      if (request.op === 'commit' && this.log.find(request.requestId, request.deadline)) return undefined;
      throw aborted();
    }
    switch (request.op) {
      case 'commit':
        try {
          this.log.record(request.requestId, undefined, request.deadline);
          faultHook?.('before-commit', 'transaction');
          this.conn.control('COMMIT');
        } catch (e) {
          if (!this.conn.autocommit) this.conn.control('ROLLBACK');
          this.endTransaction();
          throw e;
        }
        faultHook?.('after-flush', 'transaction');
        this.announceCommit();
        this.commits++;
        this.committedWrites++;
        this.gate.changed();
        this.endTransaction();
        return new Promise((resolve, reject) => this.afterCommit(() => resolve(undefined), reject));
      case 'rollback':
        if (!this.conn.autocommit) this.conn.control('ROLLBACK');
        this.endTransaction();
        return undefined;
      default:
        try {
          // batch and exec may hold several statements: all of them apply or none, as outside a
          // transaction (a single statement is undone alone by SQLite itself). A single statement
          // runs bare, so the savepoints a driver issues (SAVEPOINT sp0, RELEASE sp0) nest in this
          // transaction, not in a savepoint of the library's that would release them with it.
          const several = request.op === 'batch' || request.op === 'exec';
          const reply = several
            ? atomically(this.conn, () => apply(this.conn, request))
            : this.conn.allowingSavepoints(() => apply(this.conn, request));
          faultHook?.('after-write', 'transaction');
          return reply;
        } finally {
          // SQLite may end the transaction itself (OR ROLLBACK, I/O error): then it is over.
          if (this.conn.autocommit) this.endTransaction();
        }
    }
  }
}
