import { SqliteError } from '../../src/errors.ts';
import { holdLock, leaderLockName, peerLockName } from '../../src/locks.ts';
import type { WorkerConfig, WorkerEvent } from '../../src/protocol.ts';
import type { Engine } from '../engine/engine.ts';
import { ControlChannel, HANDOVER_SINCE, protocolVersion, type ControlMessage } from '../../src/channels.ts';
import { LeaderLink } from '../../src/leader-link.ts';
import type { ChangeNotice } from '../../src/change-notice.ts';
import { ForeignLeader } from './foreign-leader.ts';
import { Leader, changeChannel } from './leader.ts';
import { holdsLeaderLock, isLivePeer } from './lock-holders.ts';

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
 *
 * A leader may speak another version of the cross-tab protocol (a tab of another release of the
 * library): its announce says so (foreign-leader.ts). A leader asked by a newer tab to hand over
 * steps down for it.
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
  private foreign: ForeignLeader | undefined;
  private readonly meeting = new Set<string>();
  private readonly waiters = new Set<() => void>();
  private releaseLocks!: () => void;
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
   * (memory: nothing to share) or takes part in the election (OPFS). Resolves once this worker
   * can serve: it leads, or it follows a leader that answered.
   */
  static async join(
    config: WorkerConfig & { peerId: string },
    openEngine: () => Promise<Engine>,
    shared: boolean,
    emit: (event: WorkerEvent) => void,
    onFenced: () => void,
  ): Promise<Election> {
    const election = new Election(config, openEngine, emit, onFenced);
    await holdLock(peerLockName(config.name, config.peerId), election.lifetime);
    if (!shared) {
      // A private database: its change notices are for this tab's page alone.
      const changes = { post: (notice: ChangeNotice) => emit({ type: 'change', notice }), close: () => undefined };
      election.current = { kind: 'leader', leader: new Leader(config.name, config.peerId, await openEngine(), changes) };
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

  /** The protocol version of a leader this worker cannot talk to and must not wait for, if one leads. */
  get mismatch(): number | undefined {
    return this.foreign?.blocking ? this.foreign.version : undefined;
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
   * file at once.
   */
  close(): void {
    if (this.current.kind === 'closed') return;
    this.become({ kind: 'closed' });
    this.control?.close();
    this.releaseLocks();
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
    if (next.kind !== 'electing') {
      clearInterval(this.discoverTimer);
      this.forgetForeign();
    }
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
    this.wake();
  }

  /** Wakes whoever waits for a change (a role, or a leader of another version met or gone). */
  private wake(): void {
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
      // Ready once this worker can serve, or knows it cannot (a leader of another version).
      const settled = () => {
        if (this.current.kind === 'electing' && this.mismatch === undefined) this.waiters.add(settled);
        else ready();
      };
      this.waiters.add(settled);
      navigator.locks
        .request(leaderLockName(name), async () => {
          if (this.current.kind === 'closed') return;
          let engine: Engine;
          try {
            engine = await this.openEngine();
          } catch (e) {
            failed(e);
            this.close();
            return;
          }
          // Closed while the file was opening: let go of it at once, for the next leader.
          if (this.role.kind === 'closed') {
            engine.close();
            return;
          }
          const leader = new Leader(name, this.peerId, engine, changeChannel(name));
          this.become({ kind: 'leader', leader });
          this.control?.post({ t: 'announce', from: this.peerId, epoch: leader.epoch });
          await this.lifetime;
        })
        .catch(failed);
      this.discover();
    });
  }

  private onControl(message: ControlMessage): void {
    const role = this.current;
    if (role.kind === 'closed' || role.kind === 'fenced' || message.from === this.peerId) return;
    switch (message.t) {
      case 'discover':
        // A version 1 tab could not use the answer; any later one learns this leader's version from it.
        if (role.kind === 'leader' && message.v >= HANDOVER_SINCE)
          this.control?.post({ t: 'announce', from: this.peerId, epoch: role.leader.epoch });
        return;
      case 'announce':
        if (message.v === protocolVersion()) this.onAnnounce(message.from, message.epoch);
        else this.onForeignAnnounce(message.from, message.v, message.epoch);
        return;
      case 'handover':
        if (role.kind === 'leader' && message.to === this.peerId && message.epoch === role.leader.epoch && message.v > protocolVersion()) {
          void this.handOver(role.leader, message.from);
        }
        return;
      case 'schema':
        // For the pages (src/migrations/schema-version.ts).
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
   * so the claim is checked against the file, which only a real leader can have written: if the
   * epoch there moved past ours (or the file can no longer be read: our handles were taken), this
   * leader's time is over and it writes nothing more; otherwise the claim is ignored.
   */
  private checkFence(leader: Leader, claimed: number): void {
    if (claimed <= leader.epoch) return;
    let fileEpoch: number;
    try {
      fileEpoch = leader.epochInFile();
    } catch {
      fileEpoch = Number.POSITIVE_INFINITY;
    }
    if (fileEpoch <= leader.epoch) return;
    this.retire();
  }

  /** This worker leads no more and writes nothing more: it lets go of everything and ends itself. */
  private retire(): void {
    this.become({ kind: 'fenced' });
    this.control?.close();
    this.releaseLocks();
    this.onFenced();
  }

  /**
   * A tab of a newer protocol version asks this leader to make way. Waiting calls are answered
   * PeerGone (none of them was applied) and retried by their callers, the open transaction is
   * rolled back, and this worker ends as a fenced one does: its page starts a new worker, which
   * queues for the lock behind the newer tab and then finds it leading.
   */
  private async handOver(leader: Leader, askerId: string): Promise<void> {
    // Anyone can post a handover: only a live worker of this database is made way for.
    if (!(await isLivePeer(this.config.name, askerId))) return;
    const role = this.current;
    if (role.kind !== 'leader' || role.leader !== leader) return;
    this.retire();
  }

  private onForeignAnnounce(peerId: string, version: number, epoch: number): void {
    const role = this.current;
    if (role.kind === 'leader') {
      this.checkFence(role.leader, epoch);
      return;
    }
    if (role.kind !== 'electing' || this.foreign?.peerId === peerId || this.meeting.has(peerId)) return;
    this.meeting.add(peerId);
    void this.meetForeign(peerId, version, epoch).finally(() => this.meeting.delete(peerId));
  }

  /** A leader of another version announced itself: once its claim is checked, calls wait for it to make way, or refuse. */
  private async meetForeign(peerId: string, version: number, epoch: number): Promise<void> {
    // Anyone can post an announce: only the holder of the leader lock leads.
    if (!(await holdsLeaderLock(this.config.name, peerId))) return;
    if (this.current.kind !== 'electing' || this.foreign) return;
    const foreign = new ForeignLeader(this.config.name, peerId, version, epoch, this.control, this.peerId, (gone) => {
      if (this.foreign !== foreign) return;
      if (gone) this.forgetForeign();
      this.wake();
    });
    this.foreign = foreign;
    this.wake();
  }

  private forgetForeign(): void {
    const foreign = this.foreign;
    if (!foreign) return;
    this.foreign = undefined;
    foreign.end();
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
    const ask = () => {
      this.control?.post({ t: 'discover', from: this.peerId });
      // A leader of version 1 answers nothing else: its announce tells this tab not to wait for it.
      this.control?.postLegacyDiscover(this.peerId);
    };
    ask();
    this.discoverTimer = setInterval(ask, DISCOVER_EVERY_MS);
  }
}
