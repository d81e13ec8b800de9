/**
 * Latency and throughput figures that can be merged across writers, workers and tabs.
 *
 * Latencies go into a log-scale histogram (buckets 10% wide from 0.1 ms) rather than a list:
 * it is small enough to post to other tabs twice a second, and two histograms merge by adding
 * their counts, which a list of percentiles cannot do. A percentile read from it is exact to
 * within one bucket (±5%).
 */

const MIN_MS = 0.1;
const GROWTH = 1.1;
const LOG_GROWTH = Math.log(GROWTH);
const BUCKETS = 200; // 0.1 ms * 1.1^200 ≈ 5 hours: nothing real lands past the end.

/** Sparse [bucket, count] pairs: the wire form of a histogram. */
export type HistogramPairs = Array<[number, number]>;

export class Histogram {
  private readonly counts = new Map<number, number>();
  count = 0;

  record(ms: number): void {
    const bucket = ms <= MIN_MS ? 0 : Math.min(BUCKETS - 1, Math.floor(Math.log(ms / MIN_MS) / LOG_GROWTH) + 1);
    this.counts.set(bucket, (this.counts.get(bucket) ?? 0) + 1);
    this.count++;
  }

  merge(other: Histogram | HistogramPairs): void {
    const pairs = other instanceof Histogram ? other.toPairs() : other;
    for (const [bucket, n] of pairs) {
      this.counts.set(bucket, (this.counts.get(bucket) ?? 0) + n);
      this.count += n;
    }
  }

  /** The latency below which `p` (0..1) of the samples fall; NaN without samples. */
  percentile(p: number): number {
    if (this.count === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil(p * this.count));
    let seen = 0;
    for (const bucket of [...this.counts.keys()].sort((a, b) => a - b)) {
      seen += this.counts.get(bucket)!;
      if (seen >= rank) return bucketMiddle(bucket);
    }
    return Number.NaN;
  }

  toPairs(): HistogramPairs {
    return [...this.counts.entries()];
  }
}

/** Geometric middle of a bucket: the value a percentile in it is reported as. */
function bucketMiddle(bucket: number): number {
  if (bucket === 0) return MIN_MS;
  return MIN_MS * GROWTH ** (bucket - 0.5);
}

/** Exact percentile of a list of numbers (nearest rank); NaN when empty. For the stress report. */
export function exactPercentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

/** What one slot of a {@link RollingWindow} holds, and what a window sums to. */
export interface WindowFigures {
  /** Calls that resolved (acknowledged). */
  calls: number;
  /** Rows those calls wrote. */
  rows: number;
  /** Calls that rejected, by error code. */
  errors: Record<string, number>;
  latency: Histogram;
  /** Milliseconds the figures cover (for rates). */
  spanMs: number;
}

interface Slot {
  start: number;
  calls: number;
  rows: number;
  errors: Record<string, number>;
  latency: Histogram;
}

/**
 * The last few seconds of calls, in half-second slots: "writes/s right now" that reacts within a
 * second to a stall (a failover) without jumping about on every call.
 */
export class RollingWindow {
  private readonly slots: Slot[] = [];

  constructor(
    private readonly spanMs = 5_000,
    private readonly slotMs = 500,
  ) {}

  ok(latencyMs: number, rows: number, now = performance.now()): void {
    const slot = this.slotAt(now);
    slot.calls++;
    slot.rows += rows;
    slot.latency.record(latencyMs);
  }

  failed(code: string, now = performance.now()): void {
    const slot = this.slotAt(now);
    slot.errors[code] = (slot.errors[code] ?? 0) + 1;
  }

  /** Sums the window; `since` (when the writers started) keeps a fresh start from reading low. */
  figures(now = performance.now(), since = -Infinity): WindowFigures {
    this.expire(now);
    const latency = new Histogram();
    const errors: Record<string, number> = {};
    let calls = 0;
    let rows = 0;
    for (const slot of this.slots) {
      calls += slot.calls;
      rows += slot.rows;
      latency.merge(slot.latency);
      for (const [code, n] of Object.entries(slot.errors)) errors[code] = (errors[code] ?? 0) + n;
    }
    const from = Math.max(now - this.spanMs, since);
    return { calls, rows, errors, latency, spanMs: Math.max(1, now - from) };
  }

  private slotAt(now: number): Slot {
    this.expire(now);
    const start = now - (now % this.slotMs);
    let slot = this.slots[this.slots.length - 1];
    if (!slot || slot.start !== start) {
      slot = { start, calls: 0, rows: 0, errors: {}, latency: new Histogram() };
      this.slots.push(slot);
    }
    return slot;
  }

  private expire(now: number): void {
    while (this.slots.length > 0 && this.slots[0]!.start + this.slotMs <= now - this.spanMs) this.slots.shift();
  }
}

/** Per second, from a window. */
export function perSecond(count: number, spanMs: number): number {
  return spanMs > 0 ? (count * 1000) / spanMs : 0;
}

export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '–';
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

export function formatRate(perSec: number): string {
  if (!Number.isFinite(perSec)) return '–';
  return perSec < 10 ? perSec.toFixed(1) : Math.round(perSec).toLocaleString('en-US');
}
