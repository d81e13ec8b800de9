import { SqliteError } from './errors.ts';
import { peerLockName, whenReleased } from './locks.ts';
import { isTransactionStatement, type Request } from './protocol.ts';

/**
 * Knowing when the other end of a channel has died, and what then becomes of a call in flight.
 * comlink promises never settle if the other side is gone, so every channel (page to its worker,
 * follower to leader) races its calls against the peer's liveness lock, which every worker holds
 * for its whole life and the browser releases when that worker dies.
 */

/**
 * The other end went away before answering: its worker died, or the leader stepped down. Never
 * reaches the app: {@link afterPeerGone} turns it into a retry or a public error.
 */
export class PeerGone extends Error {
  constructor(message = 'the other side went away') {
    super(message);
    this.name = 'PeerGone';
  }
}

/** Which channel lost its peer: the page's own worker, or the leader a worker forwards to. */
export type Peer = 'worker' | 'leader';

/**
 * How long after its deadline a call may still be answered by a leader: the deadline only stops a
 * request from starting, and one that started may run for its whole `queryTimeout`, then commit
 * and reply. A minute more covers a leader change and the retry. Below the 5 minutes a leader
 * keeps a request's record after its deadline (worker/writer/request-log.ts), so a retry in this
 * window always gets a definite answer.
 */
const ANSWER_WINDOW_MS = 60_000;
const MAX_AFTER_DEADLINE_MS = 4 * 60_000;

/** When a call that may have started stops waiting for a leader's answer (LEADER_UNRESPONSIVE). */
export function answerBy(request: Request): number {
  return request.deadline + Math.min((request.queryTimeout ?? 0) + ANSWER_WINDOW_MS, MAX_AFTER_DEADLINE_MS);
}

/** The error of a call that may have started and that no leader answered by {@link answerBy}. */
export function leaderUnresponsive(request: Request): SqliteError {
  return new SqliteError(
    'LEADER_UNRESPONSIVE',
    `no leader answered ${request.op} for a minute past its deadline and queryTimeout; it may or may not have been applied`,
  );
}

/**
 * The one rule for a call whose peer died, on every hop. A statement of an interactive
 * transaction died with its transaction (it was rolled back with the dead peer, or never reached
 * it). Any other call either was applied, and recorded with its request id in the same SQLite
 * transaction, or was not applied: retrying it with the same id is exactly once either way, and
 * the leader answers a retry from the record whatever its deadline, or says LOCK_TIMEOUT when it
 * is past its deadline and was not applied. So it is retried, even past its deadline, until
 * {@link answerBy}. Returns the error to reject with, or undefined to retry.
 */
export function afterPeerGone(request: Request, peer: Peer): SqliteError | undefined {
  if (isTransactionStatement(request)) {
    const who = peer === 'worker' ? "this tab's worker died" : 'the leader changed';
    return new SqliteError('TRANSACTION_ABORTED', `${who} during the transaction; none of it was applied`);
  }
  if (Date.now() > answerBy(request)) return leaderUnresponsive(request);
  return undefined;
}

/**
 * A watch on one peer's liveness lock. `gone` rejects with PeerGone once the peer has died or
 * the watch was ended; `race` bounds a call by it, and optionally by a time limit.
 */
export class PeerWatch {
  readonly gone: Promise<never>;
  private markGone!: () => void;
  private readonly stop = new AbortController();

  constructor(db: string, peerId: string, reason: string) {
    this.gone = new Promise<never>((_, reject) => {
      this.markGone = () => reject(new PeerGone(reason));
    });
    this.gone.catch(() => undefined);
    // A watch that cannot be set up (the document is no longer active) never fires, as before.
    void whenReleased(peerLockName(db, peerId), this.stop.signal).then(
      () => this.markGone(),
      () => undefined,
    );
  }

  /** `call`, unless the peer dies first (PeerGone) or `limit` passes (its error). */
  race<T>(call: Promise<T>, limit?: { ms: number; error: () => SqliteError }): Promise<T> {
    if (!limit) return Promise.race([call, this.gone]);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const overdue = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(limit.error()), limit.ms);
    });
    return Promise.race([call, this.gone, overdue]).finally(() => clearTimeout(timer));
  }

  /** Stops watching; whoever still races `gone` is told the peer is gone. */
  end(): void {
    this.stop.abort();
    this.markGone();
  }
}
