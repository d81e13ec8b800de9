import type { ChangeNotice } from './change-notice.ts';
import { SqliteError, invalidArgument } from './errors.ts';
import { keyedDiff, type RowKey } from './keyed-diff.ts';
import type { SnapshotReply } from './protocol.ts';
import { sameRows } from './rows-equal.ts';
import type { Row, RowsDiff, SqlParams, WatchListener } from './types.ts';

/**
 * One live query (`db.watch`) in this page: it reads, delivers, and reads again when a change
 * notice says a table it read has changed since the commit its last read reflected.
 *
 * At most one read is in flight. Notices heard meanwhile only remember the newest change (a
 * mark), and one more read follows if that change is newer than what the read saw: a burst of
 * commits costs a watch at most two reads, whatever the write rate, and nothing queues.
 *
 * Each read is answered with the leader's epoch and the number of the last commit it reflects
 * (`seq`), so a notice it already reflects costs nothing. A read is the normal request path (the
 * leader answers it between commits, from the committed state): its rows are a consistent
 * snapshot taken at or after the commit that made it run.
 */

/** A point in the commit order: commit `seq` of leader `epoch`. */
export interface Mark {
  epoch: number;
  seq: number;
}

function isAfter(a: Mark, b: Mark): boolean {
  return a.epoch > b.epoch || (a.epoch === b.epoch && a.seq > b.seq);
}

/** What a watch needs from the database that made it. */
export interface WatchHost {
  read(sql: string, params: SqlParams | undefined): Promise<SnapshotReply>;
  /** The watch stopped: forget it. */
  drop(watch: Watch): void;
}

/** How a run ended, for a store that shows loading and error states (live-query.ts). */
export type RunOutcome = { ok: true } | { ok: false; error: unknown };

export interface WatchSettings {
  listener: WatchListener<Row>;
  onError?: ((error: unknown) => void) | undefined;
  key?: RowKey | undefined;
  /** Called after every run, delivered or not (not part of the public options). */
  onRun?: ((outcome: RunOutcome) => void) | undefined;
}

/** Reports an error nobody asked to hear, as the platform reports an exception in an event listener. */
function report(error: unknown): void {
  if (typeof reportError === 'function') reportError(error);
  else
    setTimeout(() => {
      throw error;
    });
}

function errorKey(error: unknown): string {
  return error instanceof SqliteError ? `${error.code}:${error.message}` : String(error);
}

export class Watch {
  private stopped = false;
  private running = false;
  /** The newest change heard during the read in flight that may call for another read. */
  private pending: Mark | undefined;
  /** The commit the last successful read reflects, and the tables (lower case) it read. */
  private ranAt: Mark | undefined;
  private tables = new Set<string>();
  private failed = false;
  /** The rows last given to the listener; undefined before the first delivery. */
  private delivered: Row[] | undefined;
  /** The failure last reported, so that the same one is not reported at every commit. */
  private reportedError: string | undefined;

  constructor(
    private readonly host: WatchHost,
    private readonly sql: string,
    private readonly params: SqlParams | undefined,
    private readonly settings: WatchSettings,
  ) {}

  start(): void {
    void this.run();
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.host.drop(this);
  }

  /**
   * A change notice: read again if it says a table this watch read changed after its last read,
   * or if notices between that read and this one went unheard (`heardSince`: the first commit
   * number of this epoch from which this page heard every notice).
   */
  notice(notice: ChangeNotice, heardSince: number): void {
    const at = this.ranAt;
    if (at && !this.failed) {
      if (notice.epoch === at.epoch) {
        if (notice.seq <= at.seq) return;
        const unheard = at.seq + 1 < heardSince;
        if (!unheard && !notice.tables.some((table) => this.tables.has(table.toLowerCase()))) return;
      } else if (notice.epoch < at.epoch) {
        return;
      }
    }
    // Failed, or not read yet: any change may be the one that makes the query work, or change it.
    this.invalidate({ epoch: notice.epoch, seq: notice.seq });
  }

  /** A new leader: whatever the last read saw, commits of the last leader may have gone unannounced. */
  leaderChanged(epoch: number): void {
    if (this.ranAt && this.ranAt.epoch >= epoch) return;
    this.invalidate({ epoch, seq: 0 });
  }

  private invalidate(mark: Mark): void {
    if (this.stopped) return;
    if (this.running) {
      if (!this.pending || isAfter(mark, this.pending)) this.pending = mark;
      return;
    }
    void this.run();
  }

  private async run(): Promise<void> {
    this.running = true;
    let outcome: RunOutcome;
    let reply: SnapshotReply | undefined;
    try {
      reply = await this.host.read(this.sql, this.params);
      outcome = { ok: true };
    } catch (error) {
      outcome = { ok: false, error };
    }
    this.running = false;
    if (this.stopped) return;
    if (reply) {
      this.ranAt = { epoch: reply.epoch, seq: reply.seq };
      this.tables = new Set(reply.tables.map((table) => table.toLowerCase()));
      this.failed = false;
      outcome = this.deliver(reply.rows);
    }
    if (!outcome.ok) this.fail(outcome.error);
    this.settings.onRun?.(outcome);
    const pending = this.pending;
    this.pending = undefined;
    if (pending && !this.stopped && (this.failed || !this.ranAt || isAfter(pending, this.ranAt))) void this.run();
  }

  /** Calls the listener if the rows differ from the last ones it got. */
  private deliver(rows: Row[]): RunOutcome {
    const previous = this.delivered;
    if (previous && sameRows(previous, rows)) {
      this.reportedError = undefined;
      return { ok: true };
    }
    let diff: RowsDiff<Row> | undefined;
    if (this.settings.key !== undefined) {
      try {
        ({ rows, diff } = keyedDiff(previous, rows, this.settings.key));
      } catch (error) {
        return { ok: false, error };
      }
    }
    this.delivered = rows;
    this.reportedError = undefined;
    try {
      this.settings.listener(rows, diff);
    } catch (error) {
      // The listener's own bug: reported as an event listener's would be; the watch goes on.
      report(error);
    }
    return { ok: true };
  }

  private fail(error: unknown): void {
    this.failed = true;
    const key = errorKey(error);
    if (key === this.reportedError) return;
    this.reportedError = key;
    const onError = this.settings.onError;
    if (!onError) return report(error);
    try {
      onError(error);
    } catch (thrown) {
      report(thrown);
    }
  }
}

/** Throws INVALID_ARGUMENT for options `db.watch` cannot use, naming the field. */
export function checkWatchOptions(options: unknown): void {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null) throw invalidArgument('watch options must be an object: { onError, key, signal }');
  const { onError, key, signal } = options as Record<string, unknown>;
  if (onError !== undefined && typeof onError !== 'function')
    throw invalidArgument('watch option onError must be a function (error) => ...');
  if (key !== undefined && !(typeof key === 'function' || (typeof key === 'string' && key !== ''))) {
    throw invalidArgument("watch option key must be a column name ('id') or a function (row) => key");
  }
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw invalidArgument('watch option signal must be an AbortSignal');
}
