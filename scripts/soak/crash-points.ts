/**
 * Every crash point (test/support/crash-points.ts) with each way of ending the leader: its worker
 * terminated, its tab closed, its renderer crashed. `npm test` runs each point once, alternating
 * the first two.
 */
import { allCrashPoints, CrashCluster, CRASH_PATH, type KillKind, type PointResult } from '../../test/support/crash-points.ts';
import { startBrowserSession } from '../../test/support/browser-session.ts';
import { uniqueName } from '../../test/support/unique-name.ts';

export interface CrashPointsReport {
  points: number;
  byKill: Record<KillKind, number>;
  failed: PointResult[];
  acknowledged: number;
  rejected: Record<string, number>;
  /** ms from the step being reached to every call settled: p50, p99, max. */
  settle: { p50: number; p99: number; max: number };
  durationMs: number;
  ok: boolean;
}

const KILLS: readonly KillKind[] = ['terminate', 'close', 'crash'];

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export async function runCrashPoints(options: { rounds: number; log?: (line: string) => void }): Promise<CrashPointsReport> {
  const log = options.log ?? (() => undefined);
  const began = Date.now();
  process.env.SQLITE_BATON_FAULTS = '1';
  const tabs = await startBrowserSession({ path: CRASH_PATH });
  try {
    const cluster = await CrashCluster.start(tabs, uniqueName('crash-soak'));
    const results: PointResult[] = [];
    for (let round = 0; round < options.rounds; round++) {
      for (const kill of KILLS) {
        for (const point of allCrashPoints()) {
          const result = await cluster.runPoint(point, kill);
          results.push(result);
          if (result.problems.length > 0) log(`FAILED ${result.point} (${kill}): ${result.problems.join('; ')}`);
        }
        log(
          `crash points, round ${round + 1}, ${kill}: ${results.length} run, ${results.filter((r) => r.problems.length > 0).length} failed so far`,
        );
      }
    }
    const settle = results.map((r) => r.settledMs).sort((a, b) => a - b);
    const rejected: Record<string, number> = {};
    for (const r of results) for (const [code, n] of Object.entries(r.rejected)) rejected[code] = (rejected[code] ?? 0) + n;
    const failed = results.filter((r) => r.problems.length > 0);
    return {
      points: results.length,
      byKill: Object.fromEntries(KILLS.map((k) => [k, results.filter((r) => r.kill === k).length])) as Record<KillKind, number>,
      failed,
      acknowledged: results.reduce((n, r) => n + r.acknowledged, 0),
      rejected,
      settle: { p50: percentile(settle, 50), p99: percentile(settle, 99), max: settle.at(-1) ?? Number.NaN },
      durationMs: Date.now() - began,
      ok: failed.length === 0 && tabs.pageErrors.length === 0,
    };
  } finally {
    await tabs.close();
    delete process.env.SQLITE_BATON_FAULTS;
  }
}
