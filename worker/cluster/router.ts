import { protocolMismatch } from '../../src/channels.ts';
import { SqliteError } from '../../src/errors.ts';
import { PeerGone, afterPeerGone, answerBy, leaderUnresponsive } from '../../src/liveness.ts';
import type { Reply, Request } from '../../src/protocol.ts';
import type { WorkerStatus as Status } from '../../src/protocol.ts';
import { tabOf, type Election } from './election.ts';
import type { LeaderLink } from '../../src/leader-link.ts';

/**
 * Where a tab's requests go: to this worker's own leader when it leads, over the link to the
 * leader when it follows, and nowhere yet while a leader is being elected (they wait for one,
 * until their deadline, unless the leader speaks another protocol version: PROTOCOL_MISMATCH). A call whose leader went away goes by the one rule of liveness.ts.
 */

function noLeader(): SqliteError {
  return new SqliteError('LOCK_TIMEOUT', 'no leader could be reached before the lockTimeout');
}

/** How long close() waits for calls already running at the leader to be answered. */
const CLOSE_WAIT_MS = 5_000;

export class Router {
  private closing = false;
  /** Calls sent to the leader and not answered yet: close() lets them finish. */
  private readonly forwarded = new Set<Promise<Reply>>();

  constructor(private readonly election: Election) {}

  /**
   * Sends `request` to whoever leads, retrying across leader changes. `retried` says that an
   * earlier attempt may have reached a leader (its page re-sent it after a worker died): then only
   * a leader can say whether it was applied, so it waits for one past its deadline, until
   * answerBy, where a request that surely never started gives up at its deadline (LOCK_TIMEOUT).
   */
  async route(request: Request, retried = false): Promise<Reply> {
    let mayHaveStarted = retried;
    for (;;) {
      if (this.closing) throw new SqliteError('DATABASE_CLOSED', 'the database is closed');
      const role = this.election.role;
      try {
        switch (role.kind) {
          case 'leader':
            return await role.leader.execute(this.election.peerId, request);
          case 'follower':
            return await this.forward(role.link, request);
          case 'electing': {
            // A leader this worker cannot talk to: say so now rather than wait for the lockTimeout.
            const theirs = this.election.mismatch;
            if (theirs !== undefined) throw protocolMismatch(theirs);
            if (mayHaveStarted) await this.election.changed(answerBy(request), () => leaderUnresponsive(request));
            else await this.election.changed(request.deadline, noLeader);
            continue;
          }
          case 'fenced':
            // This worker is about to end; its page retries the call through a new worker.
            return await new Promise<never>(() => undefined);
          case 'closed':
            throw new SqliteError('DATABASE_CLOSED', 'the database is closed');
        }
      } catch (e) {
        if (!(e instanceof PeerGone)) throw e;
        mayHaveStarted = true;
        if (role.kind === 'follower') this.election.lost(role.link);
        const verdict = afterPeerGone(request, 'leader');
        if (verdict) throw verdict;
      }
    }
  }

  private forward(link: LeaderLink, request: Request): Promise<Reply> {
    const forwarded = link.execute(request);
    this.forwarded.add(forwarded);
    void forwarded.catch(() => undefined).finally(() => this.forwarded.delete(forwarded));
    return forwarded;
  }

  async status(): Promise<Status> {
    const own = tabOf(this.election.peerId);
    const role = this.election.role;
    if (role.kind === 'leader') return { ...role.leader.status(), tabId: own, leaderId: own };
    if (role.kind === 'follower') {
      try {
        const remote = await role.link.status();
        return { ...remote, role: 'follower', tabId: own, leaderId: tabOf(role.link.leaderId) };
      } catch (e) {
        if (!(e instanceof PeerGone)) throw e;
      }
    }
    return {
      role: 'follower',
      storage: 'opfs',
      tabId: own,
      leaderId: null,
      epoch: this.election.epoch,
      queueDepth: 0,
      inTransaction: false,
      commits: 0,
      committedWrites: 0,
    };
  }

  /**
   * Closes this tab's part. A follower first has the leader drop its waiting requests (never
   * started: they reject DATABASE_CLOSED) and lets the ones already running finish, so no call
   * is left not knowing whether it was applied. A leader rolls back and rejects what waits.
   */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    const role = this.election.role;
    if (role.kind === 'follower') {
      await role.link.cancel().catch(() => undefined);
      await Promise.race([Promise.allSettled([...this.forwarded]), new Promise((r) => setTimeout(r, CLOSE_WAIT_MS))]);
    }
    this.election.close();
  }
}
