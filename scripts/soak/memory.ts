/**
 * The long run: tabs write without pause for `minutes` (single rows and 3-row transactions), a
 * follower tab is closed and replaced every 30 s (the leader keeps per-follower state), and the
 * leader, never killed, is asked for its memory at the start (after a warm-up), every minute, and
 * at the end. Passes when the file checks out (scripts/soak.ts) and the leader's memory grew by no
 * more than the stated bounds between the first and the last sample.
 */
import { openTab, stopAndJudge, SOAK_PATH, type SoakReport, type Tab } from '../soak.ts';
import { startBrowserSession } from '../../test/support/browser-session.ts';
import type { SoakWrite } from '../../test/tabs/soak.ts';
import { seededRandom } from '../../test/support/seeded-random.ts';
import { sleep } from '../../test/support/sleep.ts';
import { uniqueName } from '../../test/support/unique-name.ts';
import { leaderMemory, type LeaderMemory } from './leader-memory.ts';

export interface MemoryOptions {
  minutes: number;
  tabs: number;
  seed: number;
  log?: (line: string) => void;
}

/**
 * Growth allowed from the first sample (taken after a minute of writing) to the last. The request
 * record holds 5 minutes of writes, so the file and SQLite's page cache (2 MiB by default) fill up
 * during the first minutes; past that nothing the leader keeps grows with the number of writes.
 */
export const MEMORY_BOUNDS = { jsHeapBytes: 8 * 1024 * 1024, wasmHeapBytes: 16 * 1024 * 1024 };

export interface MemoryReport extends SoakReport {
  samples: Array<LeaderMemory & { minute: number }>;
  growth: { jsHeapBytes: number; wasmHeapBytes: number };
  bounds: typeof MEMORY_BOUNDS;
  sameLeader: boolean;
  followersReplaced: number;
}

const WARM_UP_MS = 60_000;
const CHURN_EVERY_MS = 30_000;

export async function runMemory(options: MemoryOptions): Promise<MemoryReport> {
  const log = options.log ?? (() => undefined);
  const random = seededRandom(options.seed);
  const db = uniqueName('memory');
  const began = Date.now();
  // The leader is found by its COMMIT count, which the fault injection keeps (vite.config.ts).
  process.env.SQLITE_BATON_FAULTS = '1';
  const tabs = await startBrowserSession({ path: SOAK_PATH });
  try {
    const open: Tab[] = [];
    for (let i = 0; i < options.tabs; i++) open.push(await openTab(tabs, db, 2, Math.floor(random() * 2 ** 32)));
    const leaderTab = open[0]!;
    const collected: SoakWrite[] = [];
    const samples: MemoryReport['samples'] = [];
    const sample = async (minute: number) => {
      const memory = await leaderMemory(tabs);
      samples.push({ ...memory, minute });
      log(
        `minute ${minute}: leader JS heap ${(memory.jsHeapBytes / 2 ** 20).toFixed(1)} MiB, wasm heap ${(memory.wasmHeapBytes / 2 ** 20).toFixed(1)} MiB, ${memory.commits} commits`,
      );
    };
    await sleep(WARM_UP_MS);
    await sample(1);
    const end = Date.now() + (options.minutes - 1) * 60_000;
    let nextSample = Date.now() + 60_000;
    let nextChurn = Date.now() + CHURN_EVERY_MS;
    let followersReplaced = 0;
    while (Date.now() < end) {
      await sleep(Math.min(nextSample, nextChurn, end) - Date.now());
      if (Date.now() >= nextChurn) {
        nextChurn += CHURN_EVERY_MS;
        const followers = open.filter((t) => t !== leaderTab);
        const victim = followers[Math.floor(random() * followers.length)]!;
        collected.push(...(await victim.page.evaluate(() => window.soak.all())));
        await victim.page.close();
        open.splice(open.indexOf(victim), 1, await openTab(tabs, db, 2, Math.floor(random() * 2 ** 32)));
        followersReplaced++;
      }
      if (Date.now() >= nextSample && Date.now() < end) {
        nextSample += 60_000;
        await sample(Math.round((Date.now() - began) / 60_000));
      }
    }
    await sample(options.minutes);
    const report = await stopAndJudge(tabs, db, open, collected, [], [], began, 30_000);
    report.seed = options.seed;
    const first = samples[0]!;
    const last = samples.at(-1)!;
    const growth = { jsHeapBytes: last.jsHeapBytes - first.jsHeapBytes, wasmHeapBytes: last.wasmHeapBytes - first.wasmHeapBytes };
    const sameLeader = samples.every((s) => s.target === first.target);
    // No kills here: the failover figures of judge() do not apply.
    report.ok =
      report.lost.length === 0 &&
      report.duplicates.length === 0 &&
      report.partial.length === 0 &&
      report.unexpected.length === 0 &&
      report.hung === 0 &&
      report.integrity === 'ok' &&
      report.pageErrors.length === 0 &&
      report.acknowledged > 0 &&
      sameLeader &&
      growth.jsHeapBytes <= MEMORY_BOUNDS.jsHeapBytes &&
      growth.wasmHeapBytes <= MEMORY_BOUNDS.wasmHeapBytes;
    return { ...report, samples, growth, bounds: MEMORY_BOUNDS, sameLeader, followersReplaced };
  } finally {
    await tabs.close();
    delete process.env.SQLITE_BATON_FAULTS;
  }
}
