/**
 * The "This tab" card: this tab's role, the leader's id and epoch, kept live two ways: the
 * `leaderchange` event (immediate) and `status()` polled every second (the queue depth, and a
 * check that the event view is right). Changes of leader go into a short event list, with how
 * long the tab was without a leader.
 */
import type { Database, LeaderChange, Status } from 'sqlite-baton';

const POLL_MS = 1_000;
const MAX_EVENTS = 6;

export type Role = 'leader' | 'follower' | 'unknown' | 'gone';

function byId<T extends HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} is missing from the page`);
  return element as T;
}

function clock(date = new Date()): string {
  return date.toLocaleTimeString('en-GB', { hour12: false });
}

export class LeaderView {
  role: Role = 'unknown';
  leaderId: string | null = null;
  epoch = 0;
  private leaderlessSince: number | null = null;
  private polling = false;
  private readonly els = {
    role: byId('role'),
    tabId: byId('tab-id'),
    leaderId: byId('leader-id'),
    epoch: byId('epoch'),
    queue: byId('queue'),
    events: byId<HTMLOListElement>('events'),
  };

  constructor(
    private readonly db: Database,
    readonly tab: string,
    /** Called when a new leader is known, e.g. to mark the chart. */
    private readonly onNewLeader: (leaderId: string, epoch: number) => void,
  ) {
    this.els.tabId.textContent = tab;
    db.addEventListener('leaderchange', (event) => this.onChange((event as CustomEvent<LeaderChange>).detail));
    setInterval(() => void this.poll(), POLL_MS);
  }

  /** Reads status() now; also the first fill of the card. */
  async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      this.apply(await this.db.status());
    } catch (error) {
      // The worker is gone (crashed, or terminated by the button) and no call has respawned it yet.
      this.setRole('gone');
      this.els.queue.textContent = '–';
      this.els.role.title = error instanceof Error ? error.message : String(error);
    } finally {
      this.polling = false;
    }
  }

  log(text: string, important = false): void {
    const item = document.createElement('li');
    if (important) item.className = 'important';
    const time = document.createElement('time');
    time.textContent = clock();
    const body = document.createElement('span');
    body.textContent = text;
    item.append(time, body);
    this.els.events.prepend(item);
    while (this.els.events.children.length > MAX_EVENTS) this.els.events.lastElementChild?.remove();
  }

  private apply(status: Status): void {
    this.els.role.title = '';
    this.setRole(status.role);
    this.els.queue.textContent = status.inTransaction ? `${status.queueDepth} waiting · transaction open` : `${status.queueDepth} waiting`;
    this.setLeader(status.leaderId, status.epoch);
  }

  private onChange(change: LeaderChange): void {
    this.setRole(change.role);
    this.setLeader(change.leaderId, change.epoch);
  }

  private setRole(role: Role): void {
    if (role === this.role) return;
    this.role = role;
    this.els.role.dataset.role = role;
    this.els.role.textContent = role === 'gone' ? 'worker gone' : role;
  }

  private setLeader(leaderId: string | null, epoch: number): void {
    if (leaderId === this.leaderId && epoch === this.epoch) return;
    const previous = this.leaderId;
    this.leaderId = leaderId;
    this.epoch = epoch;
    this.els.leaderId.textContent = leaderId === null ? 'electing…' : leaderId === this.tab ? `${leaderId} (this tab)` : leaderId;
    this.els.epoch.textContent = String(epoch);
    if (leaderId === null) {
      this.leaderlessSince ??= performance.now();
      this.log(`leader ${previous ?? ''} gone, electing a new one…`, true);
      return;
    }
    let note = '';
    if (this.leaderlessSince !== null) {
      note = ` after ${Math.round(performance.now() - this.leaderlessSince)} ms without one`;
      this.leaderlessSince = null;
    }
    if (previous !== null || note) this.log(`leader is ${leaderId === this.tab ? 'this tab' : leaderId}, epoch ${epoch}${note}`, true);
    else this.log(`leader is ${leaderId === this.tab ? 'this tab' : leaderId}, epoch ${epoch}`);
    this.onNewLeader(leaderId, epoch);
  }
}
