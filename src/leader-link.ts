import { wrap, type Remote } from 'comlink';
import { isAllowedReply, rpcChannelName, rpcEndpoint, type ClosableEndpoint, type ControlChannel } from './channels.ts';
import { SqliteError } from './errors.ts';
import { PeerWatch, answerBy, leaderUnresponsive } from './liveness.ts';
import type { Reply, Request } from './protocol.ts';
import type { WorkerStatus as Status } from './protocol.ts';
import type { LeaderApi } from '../worker/cluster/leader.ts';

/**
 * A follower's connection to one leader (one leader id, one epoch): a follower worker's, or a
 * follower page's that talks to the leader directly. Every call races the leader's
 * liveness lock (PeerGone when it dies or this link is dropped) and a time limit: a frozen leader
 * holds its lock but answers nothing.
 */

const STATUS_TIMEOUT_MS = 5_000;
const CANCEL_TIMEOUT_MS = 1_000;
const WELCOME_TIMEOUT_MS = 1_000;

function overdue(): SqliteError {
  return new SqliteError('LOCK_TIMEOUT', 'the leader did not answer in time (is its tab frozen?)');
}

export class LeaderLink {
  /**
   * Says hello to `leaderId` under `epoch` on the control channel and, once welcomed, proves the
   * link with a call: anyone can post an announce and a welcome, only an answer over the link
   * shows that a leader is there. Resolves undefined when no leader answered in time. `selfId`
   * must already hold its liveness lock: the leader watches it from the hello on.
   */
  static async connect(
    db: string,
    control: ControlChannel,
    selfId: string,
    leaderId: string,
    epoch: number,
  ): Promise<LeaderLink | undefined> {
    const welcomed = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        stop();
        resolve(false);
      }, WELCOME_TIMEOUT_MS);
      const stop = control.listen((m) => {
        if (m.t !== 'welcome' || m.to !== selfId || m.from !== leaderId || m.epoch !== epoch) return;
        clearTimeout(timer);
        stop();
        resolve(true);
      });
      control.post({ t: 'hello', from: selfId, to: leaderId, epoch });
    });
    if (!welcomed) return undefined;
    const link = new LeaderLink(db, selfId, leaderId, epoch);
    try {
      await link.status(WELCOME_TIMEOUT_MS);
    } catch {
      link.drop();
      return undefined;
    }
    return link;
  }

  private readonly endpoint: ClosableEndpoint;
  private readonly remote: Remote<LeaderApi>;
  private readonly watch: PeerWatch;

  constructor(
    db: string,
    selfId: string,
    readonly leaderId: string,
    readonly epoch: number,
  ) {
    this.endpoint = rpcEndpoint(rpcChannelName(db, selfId), selfId, leaderId, epoch, isAllowedReply);
    this.remote = wrap<LeaderApi>(this.endpoint);
    this.watch = new PeerWatch(db, leaderId, 'the leader went away');
    // The leader died: nothing more can come over this link.
    this.watch.gone.catch(() => this.endpoint.close());
  }

  /** Rejects with PeerGone when the leader dies or this link is dropped. */
  get gone(): Promise<never> {
    return this.watch.gone;
  }

  /**
   * Forwards a request. The leader answers every request it receives: it rejects one still
   * waiting at its deadline (LOCK_TIMEOUT, not applied), and one that started runs at most its
   * queryTimeout. A started one may outlast its deadline, so the wait is not cut there, which
   * would call "not applied" a write that was: only a leader that has answered nothing long
   * after (a frozen worker) ends it, with an error that says its fate is unknown.
   */
  execute(request: Request): Promise<Reply> {
    const ms = Math.max(0, answerBy(request) - Date.now());
    return this.watch.race(this.remote.execute(request) as Promise<Reply>, { ms, error: () => leaderUnresponsive(request) });
  }

  /** The leader's status; also the proof, when a link is made, that a leader answers on it. */
  status(timeout = STATUS_TIMEOUT_MS): Promise<Status> {
    return this.watch.race(this.remote.status() as Promise<Status>, { ms: timeout, error: overdue });
  }

  /** Asks the leader to drop this follower's waiting requests (it is closing). */
  cancel(): Promise<void> {
    return this.watch.race(this.remote.cancel() as Promise<void>, { ms: CANCEL_TIMEOUT_MS, error: overdue });
  }

  /** Ends the link: calls in flight reject with PeerGone. */
  drop(): void {
    this.watch.end();
    this.endpoint.close();
  }
}
