/**
 * What every bench page offers the runner as `window.bench` (called through page.evaluate),
 * and the glue that builds it from a contender's {@link Contender}. The page sets
 * `window.__benchReady` once `window.bench` exists.
 */
import type { LatencyResult, LoopOptions, LoopResult, Settings, Subject } from './workloads.ts';
import { now, runWorkload, writeLoop, epochNow } from './workloads.ts';
import { summarize } from './stats.ts';

export interface OpenResult {
  /** From the open call to the answer of the first query, in ms. */
  ms: number;
  settings: Settings;
  role?: 'leader' | 'follower';
  /** Where the open's time went, for contenders that can tell (raw sqlite-wasm). */
  steps?: Record<string, number>;
}

/** A contender opened in this page. */
export interface Contender {
  subject: Subject;
  settings(): Promise<Settings>;
  role?(): Promise<'leader' | 'follower'>;
  /** Runs a whole workload somewhere else (the raw contender: inside its worker, no messaging). */
  runWorkload?(name: string, args: unknown[]): Promise<unknown>;
  /** Where the last open's time went, in ms by step. */
  openSteps?(): Promise<Record<string, number>>;
  /** A round trip that does no SQLite work (sqlite-baton: status()), to time the hops alone. */
  ping?(): Promise<unknown>;
  /** COMMITs so far and the writes they carried (sqlite-baton: status(); the mean group size). */
  commitCounts?(): Promise<CommitCounts>;
  close(): Promise<void>;
}

export interface CommitCounts {
  commits: number;
  writes: number;
}

export interface PageEvent {
  type: string;
  /** Epoch ms. */
  at: number;
  detail: unknown;
}

export interface BenchPage {
  open(name: string, options?: Record<string, unknown>): Promise<OpenResult>;
  run(workload: string, args: unknown[]): Promise<unknown>;
  loop(tab: string, options: LoopOptions): Promise<LoopResult>;
  /** Ends a running loop early. */
  stop(): void;
  /** Times `count` empty round trips (contenders with a ping). */
  ping(count: number): Promise<LatencyResult>;
  /** The contender's commit counters, or null when it has none. */
  commitCounts(): Promise<CommitCounts | null>;
  /** What the contender reported (sqlite-baton: leaderchange events). */
  events(): PageEvent[];
  close(): Promise<void>;
}

declare global {
  interface Window {
    bench?: BenchPage;
    __benchReady?: boolean;
    __benchError?: string;
  }
}

export type Opener = (name: string, options: Record<string, unknown>, events: PageEvent[]) => Promise<Contender>;

const FIRST_QUERY = 'SELECT count(*) AS n FROM sqlite_schema';

export function installBenchPage(openContender: Opener): void {
  let contender: Contender | undefined;
  let stopped = false;
  const events: PageEvent[] = [];

  const opened = (): Contender => {
    if (!contender) throw new Error('bench.open() first');
    return contender;
  };

  window.bench = {
    async open(name, options = {}) {
      const t0 = now();
      contender = await openContender(name, options, events);
      await contender.subject.get(FIRST_QUERY, []);
      const ms = now() - t0;
      const settings = await contender.settings();
      const role = contender.role ? await contender.role() : undefined;
      const steps = contender.openSteps ? await contender.openSteps() : undefined;
      return { ms, settings, ...(role ? { role } : {}), ...(steps ? { steps } : {}) };
    },
    run(workload, args) {
      const c = opened();
      return c.runWorkload ? c.runWorkload(workload, args) : runWorkload(c.subject, workload, args);
    },
    loop(tab, options) {
      stopped = false;
      return writeLoop(opened().subject, tab, options, () => stopped);
    },
    stop() {
      stopped = true;
    },
    async ping(count) {
      const c = opened();
      if (!c.ping) throw new Error('this contender has no ping');
      const latencies: number[] = [];
      const started = now();
      for (let i = 0; i < count; i++) {
        const t0 = now();
        await c.ping();
        latencies.push(now() - t0);
      }
      const elapsedMs = now() - started;
      return { ...summarize(latencies), perSecond: (count / elapsedMs) * 1000, elapsedMs };
    },
    async commitCounts() {
      const c = opened();
      return c.commitCounts ? c.commitCounts() : null;
    },
    events() {
      return events;
    },
    async close() {
      await contender?.close();
      contender = undefined;
    },
  };
  window.__benchReady = true;
}

export { epochNow };
