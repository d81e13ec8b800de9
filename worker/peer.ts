import { SqliteError } from '../src/errors.ts';
import { isTransactionStatement, type Reply, type Request, type Status, type WorkerConfig, type WorkerEvent } from '../src/protocol.ts';
import type { Engine } from './engine.ts';
import { LEADER_GONE, Leader } from './leader.ts';
import { LeaderGone, LeaderLink } from './leader-link.ts';
import { holdLock, leaderLockName, peerLockName } from './locks.ts';
import { ControlChannel, type ControlMessage } from './peer-channel.ts';

/**
 * This worker's part in the election, and the router of its tab's requests.
 *
 * Every worker queues for the database's leader lock and holds it, once granted, for the rest of
 * its life. Until then it is a follower: it finds the leader on the control channel and forwards
 * every request to it. When the leader dies, calls in flight are retried at the next leader with
 * the same request id, which the request log answers exactly once. Statements of an interactive
 * transaction are not retried: the transaction died with its leader (TRANSACTION_ABORTED).
 */

const DISCOVER_EVERY_MS = 200;
const WELCOME_TIMEOUT_MS = 1_000;
/** How long close() waits for calls already running at the leader to be answered. */
const CLOSE_WAIT_MS = 5_000;

/** The tab id part of a peer id (`<tab>~<incarnation>`): a respawned worker keeps its tab id. */
export function tabOf(peerId: string): string {
  return peerId.split('~')[0]!;
}

function isLeaderGone(error: unknown): boolean {
  return error instanceof LeaderGone || (error instanceof SqliteError && (error.code as string) === LEADER_GONE);
}

function transactionCut(): SqliteError {
  return new SqliteError('TRANSACTION_ABORTED', 'the leader changed during the transaction; none of it was applied');
}

export class Peer {
  private leader: Leader | null = null;
  private link: LeaderLink | null = null;
  private control: ControlChannel | null = null;
  private knownEpoch = 0;
  private discoverTimer: ReturnType<typeof setInterval> | undefined;
  private pendingWelcome: { leaderId: string; epoch: number; done: () => void } | undefined;
  private readonly connecting = new Set<string>();
  private readonly waiters = new Set<() => void>();
  private releaseLocks!: () => void;
  private readonly lifetime = new Promise<void>((resolve) => (this.releaseLocks = resolve));
  private closed = false;
  private fenced = false;
  /** Calls sent to the leader and not answered yet: close() lets them finish. */
  private readonly forwarded = new Set<Promise<Reply>>();

  private constructor(
    private readonly config: WorkerConfig & { peerId: string },
    private readonly openEngine: () => Promise<Engine>,
    private readonly emit: (event: WorkerEvent) => void,
    /** Called when this worker was fenced off: it ends itself, and its page starts a new one. */
    private readonly onFenced: () => void,
  ) {}

  /**
   * Joins the database: holds this worker's peer lock, then either opens the engine alone
   * (memory) or takes part in the election (OPFS). Resolves once this worker can serve: it leads,
   * or it knows the leader.
   */
  static async join(
    config: WorkerConfig & { peerId: string },
    openEngine: () => Promise<Engine>,
    shared: boolean,
    emit: (event: WorkerEvent) => void,
    onFenced: () => void,
  ): Promise<Peer> {
    const peer = new Peer(config, openEngine, emit, onFenced);
    await holdLock(peerLockName(config.name, config.peerId), peer.lifetime);
    if (!shared) {
      peer.leader = new Leader(config.name, config.peerId, await openEngine());
      return peer;
    }
    await peer.runForLeader();
    return peer;
  }

  get peerId(): string {
    return this.config.peerId;
  }

  get storage(): Engine['storage'] | undefined {
    return this.leader?.engine.storage;
  }

  /** Sends `request` to whoever leads, retrying across leader changes until its deadline. */
  async route(request: Request): Promise<Reply> {
    for (;;) {
      // A fenced worker is about to end; its page retries the call through a new worker.
      if (this.fenced) return new Promise<never>(() => undefined);
      if (this.closed) throw new SqliteError('DATABASE_CLOSED', 'the database is closed');
      const leader = this.leader;
      if (leader) {
        try {
          return await leader.execute(this.peerId, request);
        } catch (e) {
          if (!isLeaderGone(e)) throw e;
          if (isTransactionStatement(request)) throw transactionCut();
          continue;
        }
      }
      const link = this.link;
      if (link) {
        const forwarded = link.execute(request);
        this.forwarded.add(forwarded);
        void forwarded.catch(() => undefined).finally(() => this.forwarded.delete(forwarded));
        try {
          return await forwarded;
        } catch (e) {
          if (!isLeaderGone(e)) throw e;
          this.lost(link);
          if (isTransactionStatement(request)) throw transactionCut();
          continue;
        }
      }
      await this.leaderKnown(request.deadline);
    }
  }

  async status(): Promise<Status> {
    const own = tabOf(this.peerId);
    if (this.leader) return { ...this.leader.status(), tabId: own, leaderId: own };
    const link = this.link;
    if (link) {
      try {
        const remote = await link.status();
        return { ...remote, role: 'follower', tabId: own, leaderId: tabOf(link.leaderId) };
      } catch (e) {
        if (!isLeaderGone(e)) throw e;
      }
    }
    return {
      role: 'follower',
      storage: 'opfs',
      tabId: own,
      leaderId: null,
      epoch: this.knownEpoch,
      queueDepth: 0,
      inTransaction: false,
      commits: 0,
      committedWrites: 0,
    };
  }

  /**
   * Closes this tab's part. A follower first has the leader drop its waiting requests (never
   * started: they reject DATABASE_CLOSED) and lets the ones already running finish, so no call
   * is left not knowing whether it was applied. A leader rolls back and rejects what waits. The
   * engine is closed before the locks are let go, so the next leader can open the file at once.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.discoverTimer);
    if (this.link) {
      await this.link.cancel().catch(() => undefined);
      await Promise.race([Promise.allSettled([...this.forwarded]), new Promise((r) => setTimeout(r, CLOSE_WAIT_MS))]);
    }
    this.leader?.close();
    this.leader = null;
    this.link?.drop();
    this.link = null;
    this.control?.close();
    this.releaseLocks();
    this.notify();
  }

  /** Queues for the leader lock and resolves when this worker leads or follows a known leader. */
  private runForLeader(): Promise<void> {
    const { name } = this.config;
    return new Promise<void>((ready, failed) => {
      this.control = new ControlChannel(name, (message) => this.onControl(message));
      this.waiters.add(function once(this: void) {
        ready();
      });
      navigator.locks
        .request(leaderLockName(name), async () => {
          if (this.closed) return;
          try {
            this.becomeLeader(await this.openEngine());
          } catch (e) {
            failed(e);
            void this.close();
            return;
          }
          await this.lifetime;
        })
        .catch(failed);
      this.discover();
    });
  }

  private becomeLeader(engine: Engine): void {
    this.link?.drop();
    this.link = null;
    const leader = new Leader(this.config.name, this.peerId, engine);
    this.leader = leader;
    this.knownEpoch = leader.epoch;
    clearInterval(this.discoverTimer);
    this.control?.post({ t: 'announce', from: this.peerId, epoch: leader.epoch });
    this.emit({ type: 'leaderchange', leaderId: tabOf(this.peerId), epoch: leader.epoch, role: 'leader' });
    this.notify();
  }

  private onControl(message: ControlMessage): void {
    if (this.closed || message.from === this.peerId) return;
    switch (message.t) {
      case 'discover':
        if (this.leader) this.control?.post({ t: 'announce', from: this.peerId, epoch: this.leader.epoch });
        return;
      case 'announce':
        this.onAnnounce(message.from, message.epoch);
        return;
      case 'hello':
        if (this.leader && message.to === this.peerId && message.epoch === this.leader.epoch) {
          this.leader.connectFollower(message.from);
          this.control?.post({ t: 'welcome', from: this.peerId, to: message.from, epoch: this.leader.epoch });
        }
        return;
      case 'welcome': {
        const pending = this.pendingWelcome;
        if (pending && message.to === this.peerId && message.from === pending.leaderId && message.epoch === pending.epoch) pending.done();
        return;
      }
    }
  }

  private onAnnounce(leaderId: string, epoch: number): void {
    // An epoch below one already connected to is a stale leader coming back (a thawed tab): ignore it.
    if (epoch < this.knownEpoch) return;
    if (this.leader) {
      this.checkFence(epoch);
      return;
    }
    if (this.link?.leaderId === leaderId && this.link.epoch === epoch) return;
    const key = `${leaderId}@${epoch}`;
    // One attempt per leader and epoch at a time: two links to one leader would each drop the
    // other, and a call cut that way would be retried at a leader that had already applied it.
    if (this.connecting.has(key)) return;
    this.connecting.add(key);
    void this.connect(leaderId, epoch).finally(() => this.connecting.delete(key));
  }

  /**
   * Fencing. Someone claims to lead under a newer epoch. Anyone can post on a BroadcastChannel,
   * so the claim is checked against the file, which only a real leader can have written: if the
   * epoch there moved past ours (or the file can no longer be read: our handles were taken), this
   * leader's time is over and it writes nothing more; otherwise the claim is ignored.
   */
  private checkFence(claimed: number): void {
    const leader = this.leader;
    if (!leader || claimed <= leader.epoch) return;
    let fileEpoch: number;
    try {
      fileEpoch = leader.epochInFile();
    } catch {
      fileEpoch = Number.POSITIVE_INFINITY;
    }
    if (fileEpoch > leader.epoch) {
      this.fenced = true;
      this.leader = null;
      leader.close();
      void this.close();
      this.onFenced();
    }
  }

  private async connect(leaderId: string, epoch: number): Promise<void> {
    const welcomed = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), WELCOME_TIMEOUT_MS);
      this.pendingWelcome = {
        leaderId,
        epoch,
        done: () => {
          clearTimeout(timer);
          resolve(true);
        },
      };
      this.control?.post({ t: 'hello', from: this.peerId, to: leaderId, epoch });
    });
    if (this.pendingWelcome?.leaderId === leaderId && this.pendingWelcome.epoch === epoch) this.pendingWelcome = undefined;
    if (!welcomed || this.closed || this.leader || epoch < this.knownEpoch) return;
    // Anyone can post an announce and a welcome: only an answer over the new link proves a
    // leader is there under that epoch. Until then the current link (if any) stays.
    const link = new LeaderLink(this.config.name, this.peerId, leaderId, epoch);
    try {
      await link.status(WELCOME_TIMEOUT_MS);
    } catch {
      link.drop();
      return;
    }
    if (this.closed || this.leader || epoch < this.knownEpoch || (this.link?.leaderId === leaderId && this.link.epoch === epoch)) {
      link.drop();
      return;
    }
    this.knownEpoch = epoch;
    this.link?.drop();
    this.link = link;
    clearInterval(this.discoverTimer);
    link.gone.catch(() => this.lost(link));
    this.emit({ type: 'leaderchange', leaderId: tabOf(leaderId), epoch, role: 'follower' });
    this.notify();
  }

  /** The leader behind `link` is gone: forget it and look for the next one. */
  private lost(link: LeaderLink): void {
    if (this.link !== link) return;
    link.drop();
    this.link = null;
    if (this.closed) return;
    this.emit({ type: 'leaderchange', leaderId: null, epoch: this.knownEpoch, role: 'follower' });
    this.discover();
  }

  private discover(): void {
    clearInterval(this.discoverTimer);
    const ask = () => this.control?.post({ t: 'discover', from: this.peerId });
    ask();
    this.discoverTimer = setInterval(ask, DISCOVER_EVERY_MS);
  }

  private notify(): void {
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const wake of waiters) wake();
  }

  /** Resolves at the next change of leader; rejects LOCK_TIMEOUT at `deadline`. */
  private leaderKnown(deadline: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => {
          this.waiters.delete(wake);
          reject(new SqliteError('LOCK_TIMEOUT', 'no leader could be reached before the lockTimeout'));
        },
        Math.max(0, deadline - Date.now()),
      );
      const wake = () => {
        clearTimeout(timer);
        resolve();
      };
      this.waiters.add(wake);
    });
  }
}
