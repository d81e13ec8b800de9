/**
 * Power cuts, the long run (test/support/power-cut.worker.ts; `npm test` runs 32): `cuts` cuts
 * over the crash-point workloads, 'full' and 'relaxed', with the power-safe models (dropped, torn,
 * reordered unsynced writes), which must lose nothing they keep; then, reported and not asserted,
 * the same count under `garble`, a disk without power-safe overwrite, which the library declares
 * OPFS is not (worker/engine/powersafe-overwrite.ts): what that declaration rests on.
 */
import { startBrowserSession } from '../../test/support/browser-session.ts';
import { uniqueName } from '../../test/support/unique-name.ts';
import type { CutResult, PowerCutOptions, PowerCutReport } from '../../test/support/power-cut.worker.ts';

export interface PowerCutsReport {
  seed: number;
  cuts: number;
  /** Cuts that landed inside a workload (the rest came after it). */
  inside: number;
  byModel: Record<string, number>;
  byDurability: Record<string, number>;
  acknowledged: number;
  /** Acknowledged writes the durability keeps (all for 'full'), and those lost: must be 0. */
  required: number;
  requiredLost: number;
  /** Acknowledged 'relaxed' writes lost: the documented window. */
  relaxedLost: number;
  unsynced: { dropped: number; kept: number; torn: number };
  failed: CutResult[];
  garble: { cuts: number; failed: number; examples: string[] };
  durationMs: number;
  ok: boolean;
}

const PATH = '/test/tabs/power-cuts.html';

export async function runPowerCuts(options: { cuts: number; seed: number; log?: (line: string) => void }): Promise<PowerCutsReport> {
  const log = options.log ?? (() => undefined);
  const began = Date.now();
  const tabs = await startBrowserSession({ path: PATH });
  try {
    const page = await tabs.openTab(PATH);
    const run = (o: Omit<PowerCutOptions, 'name'>) =>
      page.evaluate((opts) => window.powerCuts.run(opts), {
        ...o,
        name: uniqueName(`power-${o.seed}`),
      }) as Promise<PowerCutReport>;
    const main = await run({ seed: options.seed, cuts: options.cuts });
    log(`power cuts: ${main.cuts.length} in ${(main.ms / 1000).toFixed(1)} s, ${main.failed} failed`);
    const garble = await run({ seed: options.seed, cuts: options.cuts, models: ['garble'], durabilities: ['full'] });
    log(`garble (no power-safe overwrite): ${garble.cuts.length} cuts, ${garble.failed} lost acknowledged writes or the file`);
    const count = (key: (c: CutResult) => string) => {
      const out: Record<string, number> = {};
      for (const c of main.cuts) out[key(c)] = (out[key(c)] ?? 0) + 1;
      return out;
    };
    const failed = main.cuts.filter((c) => c.problems.length > 0);
    const unsynced = { dropped: 0, kept: 0, torn: 0 };
    for (const c of main.cuts) for (const k of ['dropped', 'kept', 'torn'] as const) unsynced[k] += c.unsynced[k];
    return {
      seed: options.seed,
      cuts: main.cuts.length,
      inside: main.cuts.filter((c) => c.cutBefore <= c.calls).length,
      byModel: count((c) => c.model),
      byDurability: count((c) => c.durability),
      acknowledged: main.cuts.reduce((n, c) => n + c.acknowledged, 0),
      required: main.cuts.reduce((n, c) => n + c.required, 0),
      requiredLost: main.cuts.reduce((n, c) => n + c.required - c.requiredPresent, 0),
      relaxedLost: main.cuts.filter((c) => c.durability === 'relaxed').reduce((n, c) => n + c.acknowledged - c.acknowledgedPresent, 0),
      unsynced,
      failed,
      garble: {
        cuts: garble.cuts.length,
        failed: garble.failed,
        examples: garble.cuts
          .filter((c) => c.problems.length > 0)
          .slice(0, 3)
          .map((c) => `#${c.index} ${c.workload}: ${c.problems.join('; ')}`),
      },
      durationMs: Date.now() - began,
      ok: failed.length === 0 && tabs.pageErrors.length === 0,
    };
  } finally {
    await tabs.close();
  }
}
