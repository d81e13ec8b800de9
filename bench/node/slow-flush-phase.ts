/**
 * The write workloads again in the slow-flush profile (a browser whose file syncs cost ~5 ms, as
 * an OPFS flush() does on macOS; see slow-flush.ts). Figures are stored under "slow.".
 *
 * A's one-writer loop is metered twice over: from inside its worker (time spent in each
 * FileSystemSyncAccessHandle.flush() call) and by the shim itself (slowed syncs per commit, per
 * Chromium process type), which proves the shim reached the process that performs OPFS flushes.
 */
import type { LatencyResult, LoopResult } from '../shared/workloads.ts';
import { quantile } from '../shared/stats.ts';
import { uniqueName } from '../../test/support/unique-name.ts';
import { api, openTab, phase, recordLatency, set, setIoPerOp, step, tabsPhase, type Metered, type RunContext } from './phases.ts';
import { PAGES, type PeerId } from './plan.ts';
import { slowedByProcess } from './slow-flush.ts';

export async function slowFlushPhase(ctx: RunContext, countDir: string, peers: readonly PeerId[]): Promise<void> {
  const processTypes = new Map<number, string>();
  await phase(ctx, 'slow flush: A one writer', async (tabs) => {
    const page = await openTab(ctx, tabs, PAGES.raw, 'A_wal slow');
    await api.open(page, uniqueName('bench-A_wal-slow'), { mode: 'wal' });
    await api.run(page, 'schema');
    const before = slowedByProcess(countDir, processTypes);
    const { result: loop, io } = await api.run<Metered<LoopResult>>(page, 'metered', 'soloLoop', ctx.sizes.tabsMs);
    const after = slowedByProcess(countDir, processTypes);
    const commits = loop.latencies.length;
    set(ctx, 'A_wal', 'tabs1.rate', (loop.acked / ctx.sizes.tabsMs) * 1000);
    set(ctx, 'A_wal', 'tabs1.p50', quantile(loop.latencies, 0.5));
    set(ctx, 'A_wal', 'tabs1.p99', quantile(loop.latencies, 0.99));
    set(ctx, 'A_wal', 'tabs1.errors', loop.errors);
    setIoPerOp(ctx, 'A_wal', 'tabs1', io, commits);
    for (const [type, count] of Object.entries(after)) {
      set(ctx, 'A_wal', `tabs1.slowedSyncs.${type}`, (count - (before[type] ?? 0)) / Math.max(commits, 1));
    }
    await api.close(page);
  });
  await phase(ctx, 'slow flush: B/C single-row writes', async (tabs) => {
    const name = uniqueName('bench-baton-slow');
    const leader = await openTab(ctx, tabs, PAGES.baton, 'slow leader');
    await api.open(leader, name);
    const follower = await openTab(ctx, tabs, PAGES.baton, 'slow follower');
    if ((await api.open(follower, name)).role !== 'follower') throw new Error('the second tab should follow');
    await api.run(leader, 'schema');
    for (const [subject, page, tab] of [
      ['B', leader, 'leader'],
      ['C', follower, 'follower'],
    ] as const) {
      await step(ctx, subject, 'slow write latency', async () => {
        recordLatency(ctx, subject, 'write', await api.run<LatencyResult>(page, 'writeLatency', ctx.sizes.writes, tab));
      });
    }
    await api.close(follower);
    await api.close(leader);
  });
  const counted: RunContext = { ...ctx, slowedSyncs: () => slowedByProcess(countDir, processTypes) };
  await tabsPhase(counted, 'B', [1, 8]);
  for (const peer of peers) await tabsPhase(counted, peer, [1, 8]);
  // Every sync the shim slowed in this run, by process: the renderers' are OPFS flushes (the
  // worker's own process), the browser process's are IndexedDB's and the profile's own files.
  for (const [type, count] of Object.entries(slowedByProcess(countDir, processTypes))) set(ctx, 'A_wal', `slowedSyncs.${type}`, count);
}
