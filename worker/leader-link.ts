import { wrap, type Remote } from 'comlink';
import type { Reply, Status } from '../src/protocol.ts';
import type { LeaderApi } from './leader.ts';
import { peerLockName, whenReleased } from './locks.ts';
import { isAllowedReply, rpcChannelName, rpcEndpoint, type ClosableEndpoint } from './peer-channel.ts';

/**
 * A follower's connection to one leader (one leader id, one epoch). comlink promises never settle
 * if the other side dies, so every call races the leader's peer lock: when the leader's worker
 * goes away, the lock is released and every call in flight rejects with {@link LeaderGone}, which
 * the router turns into a retry at the next leader.
 */

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

  execute(request: unknown): Promise<Reply> {
    return Promise.race([this.remote.execute(request) as Promise<Reply>, this.gone]);
  }

  status(): Promise<Status> {
    return Promise.race([this.remote.status() as Promise<Status>, this.gone]);
  }

  /** Ends the link: calls in flight reject with LeaderGone. */
  drop(): void {
    this.stopWatch.abort();
    this.markGone();
    this.endpoint.close();
  }
}
