/**
 * "All tabs together": every demo tab posts its own live figures twice a second on a
 * BroadcastChannel, and each tab sums what it hears.
 *
 * Why a channel and not a stats table in the database: the figures are about the database, so
 * writing them into it would add writes that compete with the workload being measured (and,
 * during a failover, stall exactly when they are most interesting). They are also throwaway:
 * a tab that is closed simply stops posting and drops out. The one figure that must come from
 * the file itself, the total number of rows, is read from it (see main.ts).
 */
import { Histogram, type HistogramPairs } from './stats.ts';

/** One tab's figures as posted. Window figures cover the last few seconds. */
export interface TabFigures {
  tab: string;
  role: 'leader' | 'follower' | 'unknown';
  writers: number;
  running: boolean;
  /** Date.now() when posted. */
  sentAt: number;
  window: { calls: number; rows: number; spanMs: number; errors: Record<string, number>; latency: HistogramPairs };
  /** Since the tab opened. */
  total: { calls: number; rows: number; errors: Record<string, number> };
}

/** The sum over the tabs heard recently. */
export interface AllTabsFigures {
  tabs: TabFigures[];
  rowsPerSecond: number;
  callsPerSecond: number;
  latency: Histogram;
  windowErrors: Record<string, number>;
  total: { calls: number; rows: number; errors: Record<string, number> };
}

const POST_EVERY_MS = 500;
/** A tab not heard from for this long is gone (crashed, frozen); background tabs post at least once a second. */
const FORGET_AFTER_MS = 4_000;

type Message = { t: 'figures'; figures: TabFigures } | { t: 'bye'; tab: string };

function isMessage(data: unknown): data is Message {
  if (typeof data !== 'object' || data === null) return false;
  const m = data as Partial<Message> & Record<string, unknown>;
  if (m.t === 'bye') return typeof m.tab === 'string';
  if (m.t !== 'figures' || typeof m.figures !== 'object' || m.figures === null) return false;
  const f = m.figures as Partial<TabFigures>;
  return typeof f.tab === 'string' && typeof f.sentAt === 'number' && typeof f.window === 'object' && typeof f.total === 'object';
}

function addCounts(into: Record<string, number>, from: Record<string, number>): void {
  for (const [code, n] of Object.entries(from)) into[code] = (into[code] ?? 0) + n;
}

export class AllTabs {
  private readonly channel: BroadcastChannel;
  private readonly heard = new Map<string, TabFigures>();
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(
    dbName: string,
    /** This tab's figures right now. */
    private readonly own: () => TabFigures,
  ) {
    this.channel = new BroadcastChannel(`sqlite-baton-demo:figures:${dbName}`);
    this.channel.onmessage = (event: MessageEvent<unknown>) => {
      if (!isMessage(event.data)) return;
      if (event.data.t === 'bye') this.heard.delete(event.data.tab);
      else this.heard.set(event.data.figures.tab, event.data.figures);
    };
    this.timer = setInterval(() => this.post(), POST_EVERY_MS);
    // A closing tab says so, so that the others drop it at once rather than after the timeout.
    addEventListener('pagehide', () => this.channel.postMessage({ t: 'bye', tab: this.own().tab } satisfies Message));
    this.post();
  }

  figures(): AllTabsFigures {
    const now = Date.now();
    const mine = this.own();
    const tabs = [mine];
    for (const [tab, figures] of this.heard) {
      if (now - figures.sentAt > FORGET_AFTER_MS) this.heard.delete(tab);
      else if (tab !== mine.tab) tabs.push(figures);
    }
    const latency = new Histogram();
    const windowErrors: Record<string, number> = {};
    const total = { calls: 0, rows: 0, errors: {} as Record<string, number> };
    let rowsPerSecond = 0;
    let callsPerSecond = 0;
    for (const f of tabs) {
      rowsPerSecond += (f.window.rows * 1000) / f.window.spanMs;
      callsPerSecond += (f.window.calls * 1000) / f.window.spanMs;
      latency.merge(f.window.latency);
      addCounts(windowErrors, f.window.errors);
      total.calls += f.total.calls;
      total.rows += f.total.rows;
      addCounts(total.errors, f.total.errors);
    }
    tabs.sort((a, b) => a.tab.localeCompare(b.tab));
    return { tabs, rowsPerSecond, callsPerSecond, latency, windowErrors, total };
  }

  close(): void {
    clearInterval(this.timer);
    this.channel.close();
  }

  private post(): void {
    this.channel.postMessage({ t: 'figures', figures: this.own() } satisfies Message);
  }
}
