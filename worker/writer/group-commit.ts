import type { Reply, Request } from '../../src/protocol.ts';
import type { Connection } from '../engine/connection.ts';
import { faultHook } from '../fault-hook.ts';
import { apply, atomically } from './apply.ts';
import { Gathering } from './gathering.ts';
import type { Job } from './job.ts';
import { answerFrom, type RequestLog } from './request-log.ts';

/**
 * Group commit: the requests that arrive together run as one SQLite transaction and one flush,
 * each write in its own savepoint, so a failing write is undone alone and only its caller sees the
 * error; every caller is answered after the shared COMMIT has returned. Each write is recorded
 * with its request id in the same transaction (exactly once across leader changes).
 */

/** Upper bound on one group, so a long queue still yields to new messages between commits. */
export const MAX_GROUP = 1024;

function distinctCallers(jobs: readonly Job[]): number {
  return new Set(jobs.map((job) => job.callerId)).size;
}

export interface GroupOutcome {
  /** Write calls the COMMIT carried, or undefined when there was no COMMIT. */
  committed?: number;
  /** Jobs that must run again, at the head of the queue (SQLite ended the transaction under them). */
  requeue: Job[];
}

export class GroupCommit {
  private readonly gathering: Gathering;

  constructor(
    private readonly conn: Connection,
    private readonly log: RequestLog,
    /** Called when a hold ends by time, to run the group it held back. */
    wake: () => void,
    /** Called once a group's COMMIT returned, before its callers are answered (change notices). */
    private readonly committed: () => void,
  ) {
    this.gathering = new Gathering(wake);
  }

  /** True to hold `group` back a moment for writers of the last group still on their way (gathering.ts). */
  hold(group: readonly Job[]): boolean {
    return this.gathering.hold(distinctCallers(group));
  }

  run(group: readonly Job[]): GroupOutcome {
    // Reads at the head of the group come before any of its writes: answer them now, from the
    // committed state, rather than after the group's flush.
    let first = 0;
    while (first < group.length && group[first]!.readsOnly(this.conn)) {
      const job = group[first++]!;
      try {
        job.resolve(apply(this.conn, job.request));
      } catch (e) {
        job.reject(e);
      }
    }
    const jobs = group.slice(first);
    if (jobs.length === 0) return { requeue: [] };
    const done: Array<[Job, Reply]> = [];
    faultHook?.('before-begin', 'group');
    try {
      this.conn.control('BEGIN');
    } catch (e) {
      for (const job of jobs) job.reject(e);
      return { requeue: [] };
    }
    for (let i = 0; i < jobs.length; i++) {
      const job = jobs[i]!;
      try {
        done.push([job, this.applyOnce(job)]);
        faultHook?.('after-write', 'group');
      } catch (e) {
        job.reject(e);
        if (this.conn.autocommit) {
          // SQLite ended the whole transaction (OR ROLLBACK, I/O error): the jobs before this one
          // were undone with it, so run them again, with the rest, in the next group.
          return { requeue: [...done.map(([j]) => j), ...jobs.slice(i + 1)] };
        }
      }
    }
    faultHook?.('before-commit', 'group');
    const committing = performance.now();
    try {
      this.conn.control('COMMIT');
    } catch (e) {
      if (!this.conn.autocommit) this.conn.control('ROLLBACK');
      for (const [job] of done) job.reject(e);
      return { requeue: [] };
    }
    faultHook?.('after-flush', 'group');
    this.gathering.committed(distinctCallers(jobs), performance.now() - committing);
    this.committed();
    for (const [job, reply] of done) job.resolve(reply);
    return { committed: done.length, requeue: [] };
  }

  stop(): void {
    this.gathering.stop();
  }

  /**
   * Applies one request inside the group's transaction, exactly once: a request whose id is
   * already recorded is answered from the record; a write is recorded in its own savepoint.
   */
  private applyOnce(job: Job): Reply {
    const { request } = job;
    if (job.readsOnly(this.conn)) return apply(this.conn, request);
    const recorded = this.log.find(request.requestId, request.deadline);
    if (recorded) return answerFrom(recorded);
    if (request.op === 'run' || request.op === 'all' || request.op === 'get') return this.applyStatement(request);
    // Several statements (batch, exec) apply whole or not at all.
    return atomically(this.conn, () => this.checkedAndRecorded(request, apply(this.conn, request)));
  }

  /**
   * One statement, as SQLite would run it alone. When it fails, SQLite has already undone what its
   * conflict clause says to undo (ABORT, the default: the statement; FAIL: nothing, the rows
   * before the failing one stay), so that is kept, as in autocommit mode, rather than undone by
   * the savepoint. If part of it stayed, its error is recorded: a retry must not apply it again.
   */
  private applyStatement(request: Request): Reply {
    this.conn.control('SAVEPOINT baton_request');
    const changesBefore = this.conn.totalChanges;
    let reply: Reply;
    try {
      reply = apply(this.conn, request);
    } catch (e) {
      // SQLite ended the whole transaction (OR ROLLBACK, I/O error, interrupt): nothing is left to keep.
      if (this.conn.autocommit) throw e;
      try {
        if (this.conn.totalChanges !== changesBefore) this.log.recordFailure(request.requestId, this.conn.toError(e), request.deadline);
        this.conn.control('RELEASE baton_request');
      } catch {
        this.undo();
      }
      throw e;
    }
    try {
      this.checkedAndRecorded(request, reply);
      this.conn.control('RELEASE baton_request');
      return reply;
    } catch (e) {
      this.undo();
      throw e;
    }
  }

  /** Undoes the request's savepoint, if SQLite has not ended the transaction already. */
  private undo(): void {
    if (this.conn.autocommit) return;
    this.conn.control('ROLLBACK TO baton_request');
    this.conn.control('RELEASE baton_request');
  }

  /** Records `reply` once the write is known to be committable. */
  private checkedAndRecorded(request: Request, reply: Reply): Reply {
    // A deferred foreign key left broken would fail the group's COMMIT, and with it every other
    // caller's write: fail this write alone, as its own COMMIT would have.
    this.conn.checkDeferredForeignKeys();
    this.log.record(request.requestId, reply, request.deadline);
    return reply;
  }
}
