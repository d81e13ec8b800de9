import type { DirectRoute } from './direct-route.ts';
import type { LeaderLink } from './leader-link.ts';
import { PeerGone, afterPeerGone } from './liveness.ts';
import type { Reply, Request } from './protocol.ts';
import type { Status } from './types.ts';
import type { WorkerLink } from './worker-link.ts';

/**
 * Where a page sends each call: straight to the leader when it has a direct link (direct-route.ts),
 * else through its own worker, which finds the leader or waits for one. A call whose direct link
 * lost its leader goes by the one rule of liveness.ts, and is retried through the worker.
 *
 * An interactive transaction keeps to the path its BEGIN took: the leader knows the transaction's
 * owner by the channel it came on, and watches that owner's liveness lock.
 */

type Path = LeaderLink | 'worker';

export class TabRouter {
  /** The path of each open transaction, by id. */
  private readonly pinned = new Map<string, Path>();
  /** False to send every call through the worker (tests of that path). */
  directAllowed = true;

  constructor(
    readonly worker: WorkerLink,
    readonly direct: DirectRoute | undefined,
  ) {}

  async call(request: Request): Promise<Reply> {
    const { txId, op } = request;
    try {
      // Set once a direct attempt's leader went away: that attempt may have started there.
      let retried = false;
      for (;;) {
        const path = this.pathFor(request);
        try {
          if (path !== 'worker' && path !== this.direct?.current) throw new PeerGone('the leader went away');
          const reply = path === 'worker' ? await this.worker.call(request, retried) : await this.direct!.execute(path, request);
          if (op === 'begin' && txId !== undefined) this.pinned.set(txId, path);
          return reply;
        } catch (e) {
          // The worker link applies the rule itself and never lets PeerGone out.
          if (!(e instanceof PeerGone) || path === 'worker') throw e;
          // The transaction's leader is gone: its COMMIT or ROLLBACK is asked at the next one.
          if (txId !== undefined) this.pinned.delete(txId);
          retried = true;
          const verdict = afterPeerGone(request, 'leader');
          if (verdict) throw verdict;
        }
      }
    } finally {
      if ((op === 'commit' || op === 'rollback') && txId !== undefined) this.pinned.delete(txId);
    }
  }

  private pathFor(request: Request): Path {
    if (request.txId !== undefined && request.op !== 'begin') return this.pinned.get(request.txId) ?? 'worker';
    return (this.directAllowed && this.direct?.current) || 'worker';
  }

  /** The worker's view, and how this page's calls travel now. */
  async status(): Promise<Status> {
    const status = await this.worker.status();
    const path = status.role === 'leader' ? 'local' : this.directAllowed && this.direct?.current ? 'direct' : 'forwarded';
    return { ...status, path };
  }

  async close(): Promise<void> {
    await this.direct?.close();
    await this.worker.close();
  }
}
