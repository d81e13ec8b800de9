/**
 * Summary statistics shared by the bench pages (browser) and the bench runner (Node).
 * Plain erasable TypeScript with no imports, so both sides can load it as is.
 */

/** The q-quantile (0..1) of `values` by linear interpolation; NaN when empty. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const position = (sorted.length - 1) * q;
  const below = Math.floor(position);
  const above = Math.ceil(position);
  const low = sorted[below]!;
  return low + (sorted[above]! - low) * (position - below);
}

export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

export function mean(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  let sum = 0;
  for (const value of values) sum += value;
  return sum / values.length;
}

/** p50/p99/mean of a set of latencies, in ms. */
export interface LatencySummary {
  count: number;
  p50: number;
  p99: number;
  mean: number;
}

export function summarize(latencies: readonly number[]): LatencySummary {
  return { count: latencies.length, p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99), mean: mean(latencies) };
}
