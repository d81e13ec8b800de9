import { wrap, type Remote } from 'comlink';
import { SqliteError } from '../src/errors.ts';
import type { Reply, Request, Status } from '../src/protocol.ts';
import type { LeaderApi } from './leader.ts';
import { peerLockName, whenReleased } from './locks.ts';
import { isAllowedReply, rpcChannelName, rpcEndpoint, type ClosableEndpoint } from './peer-channel.ts';

/**
 * A follower's connection to one leader (one leader id, one epoch). comlink promises never settle
 * if the other side dies, so every call races the leader's peer lock: when the leader's worker
 * goes away, the lock is released and every call in flight rejects with {@link LeaderGone}, which
 * the router turns into a retry at the next leader.
 */

/** How long after a request's deadline its reply may still come (a statement that had started). */
const REPLY_GRACE_MS = 30_000;
const STATUS_TIMEOUT_MS = 5_000;
const CANCEL_TIMEOUT_MS = 1_000;

/** Thrown (internally) when the leader went away while a call was in flight. */
export class LeaderGone extends Error {
  constructor() {
    super('the leader went away');
    this.name = 'LeaderGone';
  }
}

export class LeaderLink {
  private readonly endpoint: ClosableEndpoint;
  private readonly remote: Remote<LeaderApi>;
  private readonly stopWatch = new AbortController();
  /** Rejects with LeaderGone when the leader dies or this link is dropped. */
  readonly gone: Promise<never>;
  private markGone!: () => void;

  constructor(
    db: string,
    selfId: string,
    readonly leaderId: string,
    readonly epoch: number,
  ) {
    this.endpoint = rpcEndpoint(rpcChannelName(db, selfId), selfId, leaderId, epoch, isAllowedReply);
    this.remote = wrap<LeaderApi>(this.endpoint);
    this.gone = new Promise<never>((_, reject) => {
      this.markGone = () => reject(new LeaderGone());
    });
    this.gone.catch(() => undefined);
    void whenReleased(peerLockName(db, leaderId), this.stopWatch.signal).then(() => this.drop());
  }

  /**
   * Forwards a request. Besides the leader's death, a deadline bounds the wait: a frozen leader
   * holds its lock but answers nothing. The leader never starts a request past its deadline, so
   * giving up `REPLY_GRACE_MS` after it (time for a started statement to finish) is safe.
   */
  execute(request: Request): Promise<Reply> {
    return this.bounded(this.remote.execute(request) as Promise<Reply>, Math.max(0, request.deadline - Date.now()) + REPLY_GRACE_MS);
  }

  /** The leader's status; also the proof, when a link is made, that a leader answers on it. */
  status(timeout = STATUS_TIMEOUT_MS): Promise<Status> {
    return this.bounded(this.remote.status() as Promise<Status>, timeout);
  }

  /** Asks the leader to drop this follower's waiting requests (it is closing). */
  cancel(): Promise<void> {
    return this.bounded(this.remote.cancel() as Promise<void>, CANCEL_TIMEOUT_MS);
  }

  /** `call`, unless the leader dies first (LeaderGone) or `ms` pass (LOCK_TIMEOUT). */
  private bounded<T>(call: Promise<T>, ms: number): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const overdue = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new SqliteError('LOCK_TIMEOUT', 'the leader did not answer in time (is its tab frozen?)')), ms);
    });
    return Promise.race([call, this.gone, overdue]).finally(() => clearTimeout(timer));
  }

  /** Ends the link: calls in flight reject with LeaderGone. */
  drop(): void {
    this.stopWatch.abort();
    this.markGone();
    this.endpoint.close();
  }
}
