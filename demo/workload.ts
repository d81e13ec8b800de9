/**
 * The demo's workload: concurrent writers in one tab, each a loop of calls at a target rate.
 * Each call writes `rows` rows tagged (tab, seq) into the shared `writes` table, reading first
 * (`SELECT max(seq)`), as apps do: check something, then write.
 *
 * The (tab, seq) pairs are assigned here, before the call, so that a checker can tell, for every
 * call that resolved, whether its rows are in the file exactly once. That is why the table has no
 * UNIQUE(tab, seq): a write applied twice must show up as a duplicate, not be hidden by a
 * constraint error.
 */
import { SqliteError, type Database } from 'sqlite-baton';
import { Histogram, RollingWindow } from './stats.ts';

export const WORKLOAD_SCHEMA = `
  CREATE TABLE IF NOT EXISTS writes (
    id INTEGER PRIMARY KEY,
    tab TEXT NOT NULL,
    seq INTEGER NOT NULL,
    at REAL NOT NULL,
    seen INTEGER
  );
  CREATE INDEX IF NOT EXISTS writes_tab_seq ON writes (tab, seq);
`;

/**
 * - `transaction`: `db.transaction(tx => { tx.get(read); tx.run(insert) })`, an interactive
 *   transaction that holds the writer for every tab from BEGIN to COMMIT.
 * - `run`: one `db.run` whose INSERT does the read itself (a subquery): one statement, so the
 *   leader can commit many of them together and retry it safely across a leader change.
 */
export type WriteMode = 'transaction' | 'run';

export interface WorkloadConfig {
  /** Concurrent writer loops in this tab. */
  writers: number;
  /** Calls per second per writer; 0 = each writer calls again as soon as its last call settled. */
  rate: number;
  /** Rows each call writes. */
  rows: number;
  mode: WriteMode;
}

export const DEFAULT_CONFIG: WorkloadConfig = { writers: 4, rate: 10, rows: 1, mode: 'run' };

/** A call that has not settled yet, and how far it got. */
export interface PendingCall {
  writer: number;
  /** The first seq it writes. */
  seq: number;
  phase: 'begin' | 'read' | 'insert' | 'commit' | 'run';
  /** Date.now() when it started. */
  startedAt: number;
}

export interface FailedCall {
  seq: number;
  rows: number;
  code: string;
  message: string;
  phase: PendingCall['phase'];
  startedAt: number;
  failedAt: number;
}

/** What `drain()` hands over: everything that settled since the previous drain. */
export interface Drained {
  tab: string;
  /** [first seq, rows, latency ms] of each call that resolved. */
  acked: Array<[number, number, number]>;
  failed: FailedCall[];
  pending: PendingCall[];
}

export interface StopResult {
  /** False when some calls had not settled by the timeout: they hang. */
  settled: boolean;
  pending: PendingCall[];
}

export function errorCode(error: unknown): string {
  if (error instanceof SqliteError) return error.code;
  if (error instanceof Error) return error.name || 'Error';
  return typeof error;
}

function insertSql(rows: number): string {
  const row = '(?, ?, ?, (SELECT max(seq) FROM writes WHERE tab = ?))';
  return `INSERT INTO writes (tab, seq, at, seen) VALUES ${Array(rows).fill(row).join(', ')}`;
}

function insertWithSeenSql(rows: number): string {
  return `INSERT INTO writes (tab, seq, at, seen) VALUES ${Array(rows).fill('(?, ?, ?, ?)').join(', ')}`;
}

/** A macrotask turn that, unlike setTimeout(0), background tabs do not stretch to a second. */
function yieldToPage(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}

export class Workload {
  /** Live figures (last 5 s). */
  readonly window = new RollingWindow();
  /** Since the page opened. */
  readonly total = { calls: 0, rows: 0, errors: {} as Record<string, number>, latency: new Histogram() };
  /** performance.now() when the writers last started, for rates over a fresh start. */
  startedAt = 0;
  private config: WorkloadConfig = { ...DEFAULT_CONFIG };
  private nextSeq = 1;
  private generation: AbortController | null = null;
  private readonly pending = new Set<PendingCall>();
  private settledWaiters: Array<() => void> = [];
  /** Kept only when asked (automation): a browsing session would grow it without end. */
  private log: { acked: Drained['acked']; failed: FailedCall[] } | null = null;

  constructor(
    private readonly db: Database,
    /** This tab's id: the `tab` column of every row it writes. */
    readonly tab: string,
  ) {}

  get running(): boolean {
    return this.generation !== null;
  }

  get inFlight(): number {
    return this.pending.size;
  }

  get settings(): WorkloadConfig {
    return { ...this.config };
  }

  /** Starts the writers, or restarts them with a new config (calls in flight finish normally). */
  start(config: WorkloadConfig, options: { keepLog?: boolean } = {}): void {
    if (options.keepLog) this.log ??= { acked: [], failed: [] };
    const wasRunning = this.running;
    this.generation?.abort();
    this.config = { ...config };
    const generation = new AbortController();
    this.generation = generation;
    if (!wasRunning) this.startedAt = performance.now();
    for (let i = 0; i < config.writers; i++) void this.loop(i, generation.signal);
  }

  /** Stops the writers and waits for the calls in flight, at most `timeoutMs`. */
  async stop(timeoutMs = 60_000): Promise<StopResult> {
    this.generation?.abort();
    this.generation = null;
    if (this.pending.size > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        this.settledWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return { settled: this.pending.size === 0, pending: [...this.pending].map((call) => ({ ...call })) };
  }

  /** Hands over (and forgets) what settled since the last drain, plus what is in flight now. */
  drain(): Drained {
    const log = this.log ?? { acked: [], failed: [] };
    this.log = { acked: [], failed: [] };
    return { tab: this.tab, acked: log.acked, failed: log.failed, pending: [...this.pending].map((call) => ({ ...call })) };
  }

  private async loop(writer: number, signal: AbortSignal): Promise<void> {
    const { rate } = this.config;
    const interval = rate > 0 ? 1000 / rate : 0;
    let next = performance.now();
    while (!signal.aborted) {
      if (interval > 0) {
        const wait = next - performance.now();
        if (wait > 0) await sleep(wait, signal);
        if (signal.aborted) return;
        // A writer that fell behind (a failover) does not burst to catch up: at most one call early.
        next = Math.max(next + interval, performance.now());
      } else {
        // Yield to the page between calls, so that calls failing at once (a closed database)
        // cannot spin in microtasks and freeze the tab.
        await yieldToPage();
        if (signal.aborted) return;
      }
      await this.call(writer);
    }
  }

  private async call(writer: number): Promise<void> {
    const { rows, mode } = this.config;
    const seq = this.nextSeq;
    this.nextSeq += rows;
    const call: PendingCall = { writer, seq, phase: mode === 'run' ? 'run' : 'begin', startedAt: Date.now() };
    this.pending.add(call);
    const started = performance.now();
    try {
      if (mode === 'run') {
        const params: Array<string | number> = [];
        for (let i = 0; i < rows; i++) params.push(this.tab, seq + i, Date.now(), this.tab);
        await this.db.run(insertSql(rows), params);
      } else {
        await this.db.transaction(async (tx) => {
          call.phase = 'read';
          const last = await tx.get<{ last: number | null }>('SELECT max(seq) AS last FROM writes WHERE tab = ?', [this.tab]);
          call.phase = 'insert';
          const params: Array<string | number | null> = [];
          for (let i = 0; i < rows; i++) params.push(this.tab, seq + i, Date.now(), last?.last ?? null);
          await tx.run(insertWithSeenSql(rows), params);
          call.phase = 'commit';
        });
      }
      const ms = performance.now() - started;
      this.window.ok(ms, rows);
      this.total.calls++;
      this.total.rows += rows;
      this.total.latency.record(ms);
      this.log?.acked.push([seq, rows, ms]);
    } catch (error) {
      const code = errorCode(error);
      this.window.failed(code);
      this.total.errors[code] = (this.total.errors[code] ?? 0) + 1;
      this.log?.failed.push({
        seq,
        rows,
        code,
        message: error instanceof Error ? error.message : String(error),
        phase: call.phase,
        startedAt: call.startedAt,
        failedAt: Date.now(),
      });
    } finally {
      this.pending.delete(call);
      if (this.pending.size === 0) {
        const waiters = this.settledWaiters;
        this.settledWaiters = [];
        for (const wake of waiters) wake();
      }
    }
  }
}
