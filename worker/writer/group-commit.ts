import type { Reply } from '../../src/protocol.ts';
import type { Connection } from '../engine/connection.ts';
import { apply, atomically } from './apply.ts';
import { Gathering } from './gathering.ts';
import type { Job } from './job.ts';
import type { RequestLog } from './request-log.ts';

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
      } catch (e) {
        job.reject(e);
        if (this.conn.autocommit) {
          // SQLite ended the whole transaction (OR ROLLBACK, I/O error): the jobs before this one
          // were undone with it, so run them again, with the rest, in the next group.
          return { requeue: [...done.map(([j]) => j), ...jobs.slice(i + 1)] };
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
      return { requeue: [] };
    }
    this.gathering.committed(distinctCallers(jobs), performance.now() - committing);
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
    if (recorded) return recorded.reply;
    return atomically(this.conn, () => {
      const reply = apply(this.conn, request);
      // A deferred foreign key left broken would fail the group's COMMIT, and with it every other
      // caller's write: fail this write alone, as its own COMMIT would have.
      this.conn.checkDeferredForeignKeys();
      this.log.record(request.requestId, reply, request.deadline);
      return reply;
    });
  }
}
