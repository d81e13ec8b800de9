/**
 * Power cuts (issue 17, point 2): the evidence for "an acknowledged write survives power loss with
 * durability 'full'", "combining writes delays nothing past a flush" and "OPFS overwrites are
 * power-safe" in RELIABILITY.md. test/support/power-cut.worker.ts runs the crash-point workloads
 * over a storage layer that keeps only synced bytes at a cut (tearing or reordering the unsynced
 * writes, per model), reopens the file and checks it. A short run here; `npm run soak -- --power-cuts
 * 240` runs the long one. The seed is printed: `VITE_POWER_CUT_SEED=<seed>` replays a run.
 */
import { describe, expect, it } from 'vitest';
import { wrap } from 'comlink';
import { uniqueName } from './support/unique-name.ts';
import type { PowerCutOptions, PowerCutReport } from './support/power-cut.worker.ts';
import { newSeed } from './support/seeded-random.ts';

async function powerCuts(options: Omit<PowerCutOptions, 'name'>): Promise<PowerCutReport> {
  const worker = new Worker(new URL('./support/power-cut.worker.ts', import.meta.url), { type: 'module' });
  try {
    const api = wrap<{ run(options: PowerCutOptions): Promise<PowerCutReport> }>(worker);
    return await api.run({ ...options, name: uniqueName('power') });
  } finally {
    worker.terminate();
  }
}

const seed = Number(import.meta.env.VITE_POWER_CUT_SEED ?? newSeed());

describe('power cuts', () => {
  it('32 cuts over run, batch, a transaction and groups of 8, full and relaxed, dropped, torn and reordered writes: nothing acknowledged and kept by the mode is lost', async () => {
    const report = await powerCuts({ seed, cuts: 32 });
    const failed = report.cuts.filter((c) => c.problems.length > 0);
    console.log(
      `power cuts: seed ${seed}, ${report.cuts.length} cuts in ${report.ms} ms, ` +
        `${report.cuts.reduce((n, c) => n + c.acknowledged, 0)} writes acknowledged, ${failed.length} failed`,
    );
    expect(
      failed.map((c) => ({
        seed,
        index: c.index,
        workload: c.workload,
        durability: c.durability,
        model: c.model,
        cutBefore: c.cutBefore,
        problems: c.problems,
      })),
    ).toEqual([]);
    // The cuts landed inside the workloads (not only after them) and some writes were acknowledged.
    expect(report.cuts.filter((c) => c.cutBefore <= c.calls).length).toBeGreaterThan(report.cuts.length / 2);
    expect(report.cuts.reduce((n, c) => n + c.acknowledged, 0)).toBeGreaterThan(0);
    if (import.meta.env.VITE_POWER_CUT_VERBOSE) for (const c of report.cuts) console.log(JSON.stringify(c));
  }, 120_000);
});
