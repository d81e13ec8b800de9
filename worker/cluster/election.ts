import { SqliteError } from '../../src/errors.ts';
import { holdLock, leaderLockName, lockService, peerLockName } from '../../src/locks.ts';
import type { WorkerConfig, WorkerEvent } from '../../src/protocol.ts';
import type { Engine } from '../engine/engine.ts';
import { ControlChannel, type ControlMessage } from '../../src/channels.ts';
import { LeaderLink } from '../../src/leader-link.ts';
import { Leader } from './leader.ts';

/**
 * The election: which worker of the origin leads this database, and how the others find it.
 *
 * Every worker queues for the database's leader lock and holds it, once granted, for the rest of
 * its life. Until then it looks for the leader on the control channel (discover, announce), says
 * hello, and once welcomed proves the link with a call before using it. A leader told of a newer
 * epoch checks the file (fencing) and steps down if another leader really opened it.
 *
 * The role is one value, changed in one place ({@link Election.become}), which tells the page
 * (leaderchange) and wakes whoever waits for a leader.
 */

export type Role =
  /** Looking for a leader (at start, or after the last one went away). */
  | { readonly kind: 'electing' }
  | { readonly kind: 'leader'; readonly leader: Leader }
  | { readonly kind: 'follower'; readonly link: LeaderLink }
  /** Another leader opened the file: this worker writes nothing more and ends itself. */
  | { readonly kind: 'fenced' }
  | { readonly kind: 'closed' };

const DISCOVER_EVERY_MS = 200;
/** The longest a closing worker waits for its locks to be released (leases: a record deleted in IndexedDB). */
const LET_GO_MS = 1_000;

/** The tab id part of a peer id (`<tab>~<incarnation>`): a respawned worker keeps its tab id. */
export function tabOf(peerId: string): string {
  return peerId.split('~')[0]!;
}

export class Election {
  private current: Role = { kind: 'electing' };
  /** The newest epoch this worker has led or followed under: older announces are stale leaders. */
  private knownEpoch = 0;
  private control: ControlChannel | null = null;
  private discoverTimer: ReturnType<typeof setInterval> | undefined;
  private readonly connecting = new Set<string>();
  private readonly waiters = new Set<() => void>();
  private releaseLocks!: () => void;
  /** Rejects the join, if it is still under way (a worker fenced before it could serve). */
  private joinFailed: (error: unknown) => void = () => undefined;
  private readonly lifetime = new Promise<void>((resolve) => (this.releaseLocks = resolve));

  private constructor(
    private readonly config: WorkerConfig & { peerId: string },
    private readonly openEngine: () => Promise<Engine>,
    private readonly emit: (event: WorkerEvent) => void,
    /** Called when this worker was fenced off: it ends itself, and its page starts a new one. */
    private readonly onFenced: () => void,
  ) {}

  /**
   * Joins the database: holds this worker's peer lock, then either opens the engine alone
   * (memory: nothing to share) or takes part in the election (OPFS, IndexedDB). Resolves once this
   * worker can serve: it leads, or it follows a leader that answered.
   *
   * Where the locks are leases (no Web Locks), a lock can be lost while this worker still runs
   * (frozen past its lease): the others have counted it dead, so it ends itself, as when fenced.
   */
  static async join(
    config: WorkerConfig & { peerId: string },
    openEngine: () => Promise<Engine>,
    shared: boolean,
    emit: (event: WorkerEvent) => void,
    onFenced: () => void,
  ): Promise<Election> {
    const election = new Election(config, openEngine, emit, onFenced);
    await holdLock(peerLockName(config.name, config.peerId), config.peerId, election.lifetime, { onLost: () => election.fence() });
    if (!shared) {
      election.current = {
        kind: 'leader',
        leader: await Leader.start(config.name, config.peerId, await openEngine(), () => election.fence()),
      };
      return election;
    }
    await election.runForLeader();
    return election;
  }

  get peerId(): string {
    return this.config.peerId;
  }

  get role(): Role {
    return this.current;
  }

  get epoch(): number {
    return this.knownEpoch;
  }

  /** Resolves at the next change of role; rejects with `expired()` at `deadline`. */
  changed(deadline: number, expired: () => SqliteError): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => {
          this.waiters.delete(wake);
          reject(expired());
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

  /** The leader behind `link` is gone (a call on it found it dead): forget it, look for the next. */
  lost(link: LeaderLink): void {
    const role = this.current;
    if (role.kind !== 'follower' || role.link !== link) return;
    this.become({ kind: 'electing' });
    this.discover();
  }

  /**
   * Leaves: the engine is closed before the locks are let go, so the next leader can open the
   * file at once. Resolves once the locks are let go (leases: their records deleted), so the
   * worker can end right after.
   */
  close(): Promise<void> {
    if (this.current.kind === 'closed') return Promise.resolve();
    this.become({ kind: 'closed' });
    this.control?.close();
    return this.letGo();
  }

  /** Lets go of this worker's locks and resolves once they are released, or after LET_GO_MS at most. */
  private letGo(): Promise<void> {
    this.releaseLocks();
    const locks = lockService();
    const released = Promise.all(
      [leaderLockName(this.config.name), peerLockName(this.config.name, this.peerId)].map((n) => locks.letGo(n)),
    );
    return Promise.race([released.then(() => undefined), new Promise<void>((resolve) => setTimeout(resolve, LET_GO_MS))]);
  }

  /**
   * The one place the role changes: the role being left lets go of what it held (a leader closes
   * its engine, a link is dropped), the page hears of a new leader view, and waiters wake.
   */
  private become(next: Role): void {
    const previous = this.current;
    this.current = next;
    if (previous.kind === 'leader' && next.kind !== 'leader') previous.leader.close();
    if (previous.kind === 'follower' && (next.kind !== 'follower' || next.link !== previous.link)) previous.link.drop();
    if (next.kind !== 'electing') clearInterval(this.discoverTimer);
    switch (next.kind) {
      case 'leader':
        this.knownEpoch = next.leader.epoch;
        this.emit({
          type: 'leaderchange',
          leaderPeerId: this.peerId,
          leaderId: tabOf(this.peerId),
          epoch: next.leader.epoch,
          role: 'leader',
        });
        break;
      case 'follower':
        this.knownEpoch = next.link.epoch;
        this.emit({
          type: 'leaderchange',
          leaderPeerId: next.link.leaderId,
          leaderId: tabOf(next.link.leaderId),
          epoch: next.link.epoch,
          role: 'follower',
        });
        break;
      case 'electing':
        if (previous.kind !== 'electing') {
          this.emit({ type: 'leaderchange', leaderPeerId: null, leaderId: null, epoch: this.knownEpoch, role: 'follower' });
        }
        break;
    }
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const wake of waiters) wake();
  }

  /** Queues for the leader lock and resolves when this worker leads or follows a known leader. */
  private runForLeader(): Promise<void> {
    const { name } = this.config;
    return new Promise<void>((ready, failed) => {
      this.control = new ControlChannel(name);
      this.control.listen((message) => this.onControl(message));
      this.waiters.add(() => ready());
      this.joinFailed = failed;
      holdLock(leaderLockName(name), this.peerId, this.lifetime, { onLost: () => this.fence() })
        .then(() => this.lead(failed))
        .catch(failed);
      this.discover();
    });
  }

  /** The leader lock is held: open the file and serve. */
  private async lead(failed: (error: unknown) => void): Promise<void> {
    if (this.ended()) return;
    let leader: Leader;
    try {
      leader = await Leader.start(this.config.name, this.peerId, await this.openEngine(), () => this.fence());
    } catch (e) {
      if (this.ended()) return;
      failed(e);
      void this.close();
      return;
    }
    // Closed (or fenced) while the file was opening: let go of it at once, for the next leader.
    if (this.ended()) {
      leader.close();
      return;
    }
    this.become({ kind: 'leader', leader });
    this.control?.post({ t: 'announce', from: this.peerId, epoch: leader.epoch });
  }

  /** Closed or fenced: this worker takes no part any more. */
  private ended(): boolean {
    return this.current.kind === 'closed' || this.current.kind === 'fenced';
  }

  private onControl(message: ControlMessage): void {
    const role = this.current;
    if (role.kind === 'closed' || role.kind === 'fenced' || message.from === this.peerId) return;
    switch (message.t) {
      case 'discover':
        if (role.kind === 'leader') this.control?.post({ t: 'announce', from: this.peerId, epoch: role.leader.epoch });
        return;
      case 'announce':
        this.onAnnounce(message.from, message.epoch);
        return;
      case 'hello':
        if (role.kind === 'leader' && message.to === this.peerId && message.epoch === role.leader.epoch) {
          role.leader.connectFollower(message.from);
          this.control?.post({ t: 'welcome', from: this.peerId, to: message.from, epoch: role.leader.epoch });
        }
        return;
      case 'welcome':
        // Awaited by LeaderLink.connect, which listens for its own.
        return;
    }
  }

  private onAnnounce(leaderId: string, epoch: number): void {
    // An epoch below one already connected to is a stale leader coming back (a thawed tab): ignore it.
    if (epoch < this.knownEpoch) return;
    const role = this.current;
    if (role.kind === 'leader') {
      this.checkFence(role.leader, epoch);
      return;
    }
    if (role.kind === 'follower' && role.link.leaderId === leaderId && role.link.epoch === epoch) return;
    const key = `${leaderId}@${epoch}`;
    // One attempt per leader and epoch at a time: two links to one leader would each drop the
    // other, and a call cut that way would be retried at a leader that had already applied it.
    if (this.connecting.has(key)) return;
    this.connecting.add(key);
    void this.connect(leaderId, epoch).finally(() => this.connecting.delete(key));
  }

  /**
   * Fencing. Someone claims to lead under a newer epoch. Anyone can post on a BroadcastChannel,
   * so the claim is checked against the storage, which only a real leader can have changed: if the
   * epoch in the file moved past ours (or the file can no longer be read: our handles were taken),
   * or another leader claimed the IndexedDB store, this leader's time is over and it writes
   * nothing more; otherwise the claim is ignored. (An IndexedDB leader that missed the claim
   * learns it at its next commit, which the store refuses.)
   */
  private checkFence(leader: Leader, claimed: number): void {
    if (claimed <= leader.epoch) return;
    if (leader.engine.owns) {
      void leader.engine.owns().then(
        (owned) => owned || this.fence(),
        () => this.fence(),
      );
      return;
    }
    let fileEpoch: number;
    try {
      fileEpoch = leader.epochInFile();
    } catch {
      fileEpoch = Number.POSITIVE_INFINITY;
    }
    if (fileEpoch > leader.epoch) this.fence();
  }

  /**
   * This worker may not lead, nor take part, any more: another leader owns the storage, or its
   * leases lapsed and the others count it dead. It writes nothing more and ends itself; its page
   * starts a fresh worker, which rejoins.
   */
  private fence(): void {
    if (this.ended()) return;
    this.become({ kind: 'fenced' });
    this.control?.close();
    this.joinFailed(new SqliteError('OPEN_FAILED', 'another tab took the database over while this one was opening it; open it again'));
    void this.letGo().then(() => this.onFenced());
  }

  private async connect(leaderId: string, epoch: number): Promise<void> {
    const control = this.control;
    if (!control) return;
    // Until the new link answered (LeaderLink.connect), the current link, if any, stays.
    const link = await LeaderLink.connect(this.config.name, control, this.peerId, leaderId, epoch);
    if (!link) return;
    if (!this.mayFollow(leaderId, epoch)) {
      link.drop();
      return;
    }
    this.become({ kind: 'follower', link });
    link.gone.catch(() => this.lost(link));
  }

  /** Whether following `leaderId` under `epoch` is still wanted: not leading, not newer known, not already. */
  private mayFollow(leaderId: string, epoch: number): boolean {
    const role = this.current;
    if (role.kind === 'leader' || role.kind === 'closed' || role.kind === 'fenced' || epoch < this.knownEpoch) return false;
    return !(role.kind === 'follower' && role.link.leaderId === leaderId && role.link.epoch === epoch);
  }

  private discover(): void {
    clearInterval(this.discoverTimer);
    const ask = () => this.control?.post({ t: 'discover', from: this.peerId });
    ask();
    this.discoverTimer = setInterval(ask, DISCOVER_EVERY_MS);
  }
}
