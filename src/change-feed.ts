import { changeChannelName, parseChangeNotice, type ChangeNotice } from './change-notice.ts';
import type { ChangeDetail } from './types.ts';
import type { Watch } from './watch.ts';

/**
 * This page's end of the change notices (change-notice.ts): it hears them on the database's
 * change channel (a private in-memory database's come from its own worker instead), raises the
 * `change` event and tells each live query. It listens only while someone needs it (a watch, a
 * `change` listener): every notice wakes each listening page, which costs the writers CPU.
 *
 * It keeps track of the stream: the first commit number of the current epoch from which every
 * notice was heard. A gap, or a new epoch, means commits may have gone unheard, and each watch
 * reads again once. The channel is opened before a watch's first read is sent, so every commit
 * after that read is heard. A forged notice (any same-origin script can post) only restarts the
 * stream there: the next real one then looks like a gap, which costs each watch one more read,
 * never a missed change, because each watch compares notices with what its own read saw.
 */
export class ChangeFeed {
  private channel: BroadcastChannel | undefined;
  private readonly watches = new Set<Watch>();
  /**
   * The stream heard since listening began: its epoch, the last notice's number (none yet: the
   * epoch is the one known when listening began), and the first number of that epoch from which
   * every notice was heard.
   */
  private heard: { epoch: number; seq: number | undefined; since: number } | undefined;
  /** The newest leader epoch this tab's worker told of. */
  private epoch = 0;
  private closed = false;
  /** `change` listeners added and not removed. */
  private readonly listeners = new Set<unknown>();

  constructor(
    private readonly db: string,
    /** False for a private database, whose notices come from its worker. */
    private readonly shared: boolean,
    private readonly emit: (detail: ChangeDetail) => void,
  ) {}

  /** A watch starts: hearing begins now, before its first read is sent. */
  add(watch: Watch): void {
    this.watches.add(watch);
    this.listen();
  }

  drop(watch: Watch): void {
    this.watches.delete(watch);
    this.stopIfUnused();
  }

  /**
   * A `change` listener was added or removed. One removed another way (`once`, a signal) is not
   * seen, and keeps the page listening: the safe side.
   */
  listener(listener: unknown, added: boolean): void {
    if (added) {
      this.listeners.add(listener);
      this.listen();
    } else if (this.listeners.delete(listener)) {
      this.stopIfUnused();
    }
  }

  private listen(): void {
    if (this.closed || (this.shared && this.channel)) return;
    // Listening now, under the epoch known now: a notice of another epoch means a new leader.
    if (!this.heard && this.epoch > 0) this.heard = { epoch: this.epoch, seq: undefined, since: 0 };
    if (!this.shared || this.channel) return;
    this.channel = new BroadcastChannel(changeChannelName(this.db));
    this.channel.onmessage = (event: MessageEvent) => this.receive(event.data);
  }

  private stopIfUnused(): void {
    if (!this.channel || this.watches.size > 0 || this.listeners.size > 0) return;
    this.channel.close();
    this.channel = undefined;
    // What is heard next starts a new stream: nothing can be said of what came between.
    this.heard = undefined;
  }

  /** A notice, from the channel or (private database) from the worker; anything malformed is dropped. */
  receive(data: unknown): void {
    const notice = parseChangeNotice(data);
    if (!notice || this.closed) return;
    const missed = this.follow(notice);
    const since = this.heard!.since;
    this.emit({ tables: [...notice.tables], epoch: notice.epoch, seq: notice.seq, missed });
    for (const watch of [...this.watches]) watch.notice(notice, since);
  }

  /** This tab's worker follows a new leader (a leaderchange event). */
  leaderChanged(epoch: number): void {
    this.epoch = Math.max(this.epoch, epoch);
    for (const watch of [...this.watches]) watch.leaderChanged(epoch);
  }

  /** Stops hearing; the watches stop with it. */
  close(): void {
    this.closed = true;
    this.channel?.close();
    this.channel = undefined;
    for (const watch of [...this.watches]) watch.stop();
  }

  /** Moves the stream on to `notice`; true when notices before it may have gone unheard. */
  private follow(notice: ChangeNotice): boolean {
    const last = this.heard;
    if (last && notice.epoch === last.epoch && (last.seq === undefined || notice.seq === last.seq + 1)) {
      // The first notice since listening began (every commit since then is heard), or the next one.
      if (last.seq === undefined) last.since = notice.seq;
      last.seq = notice.seq;
      return false;
    }
    // A new leader, a gap (a forged notice looks like one too), or a first notice under an epoch
    // this tab did not know yet.
    this.heard = { epoch: notice.epoch, seq: notice.seq, since: notice.seq };
    return last !== undefined;
  }
}
