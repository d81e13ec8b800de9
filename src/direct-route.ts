import { ControlChannel } from './channels.ts';
import { LeaderLink } from './leader-link.ts';
import { holdLock, peerLockName } from './locks.ts';
import type { Reply, Request } from './protocol.ts';

/**
 * A follower page's own link to the leader's worker. Through its own worker, a follower's call
 * crosses two hops each way (page to worker, worker to leader), each a structured clone and a
 * thread wake-up; once the page knows the leader (its worker tells it), it says hello itself and
 * sends its calls straight to the leader. Its own worker stays the way in while a leader is being
 * elected, and for whatever lives in the worker (status, close).
 *
 * The page holds a liveness lock of its own, so the leader rolls back a transaction this page
 * began if the tab dies, and the link is bounded by the leader's lock like any other.
 */

/** How long close() waits for calls already running at the leader to be answered. */
const CLOSE_WAIT_MS = 5_000;

export class DirectRoute {
  private link: LeaderLink | undefined;
  /** The leader (peer id and epoch) this page wants a link to, as its worker last said. */
  private wanted: { leaderId: string; epoch: number } | undefined;
  private connecting = false;
  private closed = false;
  private readonly control: ControlChannel;
  private readonly forwarded = new Set<Promise<Reply>>();

  private constructor(
    private readonly db: string,
    /** This page's peer id: its tab id, as a peer apart from the tab's workers. */
    readonly pageId: string,
    private readonly release: () => void,
  ) {
    this.control = new ControlChannel(db);
  }

  /** Takes the page's liveness lock (held until close or the tab's death) and starts unlinked. */
  static async start(db: string, tabId: string): Promise<DirectRoute> {
    let release!: () => void;
    const lifetime = new Promise<void>((resolve) => (release = resolve));
    const pageId = `${tabId}~page`;
    await holdLock(peerLockName(db, pageId), lifetime);
    return new DirectRoute(db, pageId, release);
  }

  /** The live link to the leader, if the page has one. */
  get current(): LeaderLink | undefined {
    return this.link;
  }

  /**
   * The worker's view of the leader changed: link to a follower's leader (not to this tab's own
   * worker, which the page already reaches in one hop). A live link is never dropped here: calls
   * in flight on it must end by the leader's answer or its death, never be retried elsewhere
   * while they may still run (a retried BEGIN would wait behind itself).
   */
  follow(leaderPeerId: string | null, epoch: number, role: 'leader' | 'follower'): void {
    this.wanted = role === 'follower' && leaderPeerId !== null ? { leaderId: leaderPeerId, epoch } : undefined;
    void this.connect();
  }

  private async connect(): Promise<void> {
    if (this.connecting || this.closed) return;
    this.connecting = true;
    try {
      for (;;) {
        const wanted = this.wanted;
        const link = this.link;
        if (!wanted || this.closed) return;
        if (link && link.leaderId === wanted.leaderId && link.epoch === wanted.epoch) return;
        // The old leader's link ends by itself when that leader dies (its lock is released).
        if (link) return;
        const made = await LeaderLink.connect(this.db, this.control, this.pageId, wanted.leaderId, wanted.epoch);
        // No answer: give up, unless the worker named another leader meanwhile.
        if (!made) {
          if (this.wanted === wanted) return;
          continue;
        }
        if (this.closed || this.link) {
          made.drop();
          return;
        }
        this.link = made;
        made.gone.catch(() => {
          if (this.link === made) this.link = undefined;
          void this.connect();
        });
      }
    } finally {
      this.connecting = false;
    }
  }

  /** Sends `request` over `link`, tracked so that close() can let it finish. */
  execute(link: LeaderLink, request: Request): Promise<Reply> {
    const forwarded = link.execute(request);
    this.forwarded.add(forwarded);
    void forwarded.catch(() => undefined).finally(() => this.forwarded.delete(forwarded));
    return forwarded;
  }

  /**
   * Closing: the leader drops this page's waiting requests (never started: DATABASE_CLOSED), the
   * ones already running finish, then the link, the channel and the lock are let go.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const link = this.link;
    if (link) {
      await link.cancel().catch(() => undefined);
      await Promise.race([Promise.allSettled([...this.forwarded]), new Promise((r) => setTimeout(r, CLOSE_WAIT_MS))]);
      link.drop();
    }
    this.link = undefined;
    this.control.close();
    this.release();
  }
}
