/**
 * Live queries (issue 13, point 8): how soon another tab's watch listener has a commit's rows,
 * at idle and while 8 tabs write; and what 100 idle watches cost the 8 tabs' write rate.
 *
 * The commit happens in the leader's worker, between the writing tab's db.run call and its
 * acknowledgement; the writes are made in the leader's own tab, so the acknowledgement is one hop
 * (worker to its page) after the commit returned. Each delivery is timed three ways: from the call
 * (an upper bound: it also holds the write's trip, its flush and, under load, its wait in the
 * queue), from the ack (a lower bound: the notice goes out before the reply), and from the commit,
 * estimated as the ack less half that tab's page-worker round trip (its ping, measured here).
 */
import type { Tab as Page } from '../../test/support/tab.ts';
import { sleep } from '../../test/support/sleep.ts';
import { uniqueName } from '../../test/support/unique-name.ts';
import type { ProbeWrite } from '../live-page.ts';
import { quantile } from '../shared/stats.ts';
import type { LoopOptions, LoopResult } from '../shared/workloads.ts';
import { api, openTab, phase, set, withCpu, type RunContext } from './phases.ts';
import { PAGES } from './plan.ts';

const live = {
  schema: (page: Page, quietRows: number) => page.evaluate((n) => window.liveBench!.schema(n), quietRows),
  watchProbe: (page: Page) => page.evaluate(() => window.liveBench!.watchProbe()),
  idleWatches: (page: Page, from: number, count: number) =>
    page.evaluate(([f, c]) => window.liveBench!.idleWatches(f, c), [from, count] as const),
  idleRereads: (page: Page) => page.evaluate(() => window.liveBench!.idleRereads()),
  probe: (page: Page, first: number, count: number, gapMs: number) =>
    page.evaluate(([f, c, g]) => window.liveBench!.probe(f, c, g), [first, count, gapMs] as const) as Promise<ProbeWrite[]>,
  seen: (page: Page) => page.evaluate(() => window.liveBench!.seen()),
  stopWatches: (page: Page) => page.evaluate(() => window.liveBench!.stopWatches()),
};

/** Waiting for the last probe's delivery after the writes. */
const DELIVERY_WAIT_MS = 5_000;

/** Each probe write's delivery in the watching tab, timed from the write's call and from its ack. */
async function timeProbes(ctx: RunContext, prefix: string, writes: ProbeWrite[], watcher: Page, hopMs: number): Promise<void> {
  const last = writes.at(-1)!.value;
  const until = Date.now() + DELIVERY_WAIT_MS;
  let seen = await live.seen(watcher);
  while (!seen.some((s) => s.value === last) && Date.now() < until) {
    await sleep(50);
    seen = await live.seen(watcher);
  }
  const deliveredAt = new Map(seen.map((s) => [s.value, s.at]));
  const fromCall: number[] = [];
  const fromAck: number[] = [];
  const fromCommit: number[] = [];
  let missed = 0;
  for (const write of writes) {
    // A later value delivered first covers this one too (one read after a burst): time it by that.
    const at = deliveredAt.get(write.value) ?? seen.find((s) => s.value > write.value)?.at;
    if (at === undefined) {
      missed++;
      continue;
    }
    fromCall.push(at - write.called);
    fromAck.push(at - write.acked);
    fromCommit.push(at - (write.acked - hopMs));
  }
  const skipped = writes.filter((w) => !deliveredAt.has(w.value)).length;
  set(ctx, 'B', `${prefix}.call.p50`, quantile(fromCall, 0.5));
  set(ctx, 'B', `${prefix}.call.p99`, quantile(fromCall, 0.99));
  set(ctx, 'B', `${prefix}.ack.p50`, quantile(fromAck, 0.5));
  set(ctx, 'B', `${prefix}.ack.p99`, quantile(fromAck, 0.99));
  set(ctx, 'B', `${prefix}.commit.p50`, quantile(fromCommit, 0.5));
  set(ctx, 'B', `${prefix}.commit.p99`, quantile(fromCommit, 0.99));
  set(ctx, 'B', `${prefix}.count`, fromCall.length);
  // Values the listener never got on their own: a newer commit came before the watch read again.
  set(ctx, 'B', `${prefix}.coalesced`, skipped - missed);
  if (missed > 0)
    ctx.notes.push(`run ${ctx.run + 1}, ${prefix}: ${missed} probe writes were never delivered within ${DELIVERY_WAIT_MS} ms`);
}

/** Opens `count` tabs on `name` after the leader, in parallel. */
async function followers(ctx: RunContext, tabs: Page[], name: string, count: number, label: string): Promise<Page[]> {
  const pages = await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const page = await ctx.session.openTab(PAGES.baton, `${label} ${i + 1}`);
      if ((await api.open(page, name)).role !== 'follower') throw new Error(`${label} ${i + 1} should follow`);
      return page;
    }),
  );
  tabs.push(...pages);
  return pages;
}

function loopOptions(ctx: RunContext, ms: number): LoopOptions {
  const startAt = Date.now() + 300;
  return { startAt, endAt: startAt + ms, callTimeoutMs: ctx.sizes.callTimeoutMs };
}

function noteErrors(ctx: RunContext, what: string, loops: LoopResult[]): number {
  const errors = loops.reduce((sum, loop) => sum + loop.errors, 0);
  if (errors > 0)
    ctx.notes.push(`run ${ctx.run + 1}, ${what}: ${errors} write errors ${loops.map((l) => JSON.stringify(l.errorCodes)).join(' ')}`);
  return errors;
}

/** A leader tab on a new database with the bench's tables, and `quietRows` rows nobody writes. */
async function openLeader(ctx: RunContext, tabs: Page[], label: string, quietRows: number): Promise<{ leader: Page; name: string }> {
  const name = uniqueName(label);
  const leader = await openTab(ctx, tabs, PAGES.baton, `${label} leader`);
  if ((await api.open(leader, name)).role !== 'leader') throw new Error('the first tab should lead');
  await api.run(leader, 'schema');
  await live.schema(leader, quietRows);
  return { leader, name };
}

/** Commit to another tab's listener: idle (one probe write at a time), then while 8 tabs write. */
export async function liveLatencyPhase(ctx: RunContext): Promise<void> {
  await phase(ctx, "B live query: commit to another tab's listener", async (tabs) => {
    const { leader, name } = await openLeader(ctx, tabs, 'live-latency', 0);
    const [watcher] = await followers(ctx, tabs, name, 1, 'live watcher');
    await live.watchProbe(watcher!);
    // The reply's hop from the leader's worker to its page: half a round trip of db.status().
    const hopMs = (await api.ping(leader, ctx.sizes.pings)).p50 / 2;
    set(ctx, 'B', 'live.hop.ms', hopMs);
    const probes = ctx.sizes.liveProbes;
    await timeProbes(ctx, 'live.idle', await live.probe(leader, 1, probes, ctx.sizes.liveGapMs), watcher!, hopMs);

    const loaders = [leader, ...(await followers(ctx, tabs, name, 7, 'live loader'))];
    const options = loopOptions(ctx, 600_000);
    const loops = loaders.map((page, i) => api.loop(page, `l${i}`, options));
    let writes: ProbeWrite[];
    try {
      await sleep(800);
      writes = await live.probe(leader, probes + 1, probes, ctx.sizes.liveGapMs);
    } finally {
      await Promise.all(loaders.map((page) => api.stop(page).catch(() => undefined)));
    }
    const results = await Promise.all(loops);
    noteErrors(ctx, 'live latency under load', results);
    await timeProbes(ctx, 'live.load', writes, watcher!, hopMs);
    for (const page of tabs) await api.close(page).catch(() => undefined);
  });
}

/**
 * 8 tabs writing single rows, with no watch open and with 100 idle watches spread over them, in
 * turns (none, 100, none, 100: the machine is shared, so each figure is the median of its turns).
 * Stopped, the watches leave their pages deaf to the notices again, so a "none" turn after a
 * "100" one costs what the first did. Also the browser's CPU per write in each case.
 */
export async function liveThroughputPhase(ctx: RunContext): Promise<void> {
  await phase(ctx, 'B 8 tabs writing with 0 and 100 idle watches', async (tabs) => {
    const watches = ctx.sizes.idleWatches;
    const { leader, name } = await openLeader(ctx, tabs, 'live-idle', watches);
    const writers = [leader, ...(await followers(ctx, tabs, name, 7, 'idle writer'))];
    const round = async (label: string, ms: number): Promise<{ rate: number; cpu: number | undefined; groupSize: number | undefined }> => {
      const before = await api.commitCounts(leader);
      const [results, cpu] = await withCpu(ctx, () =>
        Promise.all(writers.map((page, i) => api.loop(page, `${label}${i}`, loopOptions(ctx, ms)))),
      );
      const after = await api.commitCounts(leader);
      noteErrors(ctx, `8 tabs writing, ${label}`, results);
      const writes = results.reduce((sum, r) => sum + r.latencies.length, 0);
      return {
        rate: (results.reduce((sum, r) => sum + r.acked, 0) / ms) * 1000,
        cpu: cpu && writes > 0 ? cpu.total / writes : undefined,
        groupSize:
          before && after && after.commits > before.commits ? (after.writes - before.writes) / (after.commits - before.commits) : undefined,
      };
    };
    const open = async () => {
      // Spread over the writing tabs, each its own rows of `quiet`, which nobody writes.
      let from = 0;
      for (const [i, page] of writers.entries()) {
        const count = Math.floor(watches / writers.length) + (i < watches % writers.length ? 1 : 0);
        await live.idleWatches(page, from, count);
        from += count;
      }
    };
    // Warm-up, so that no measured turn pays for the first one's start.
    await round('warm', 1_000);
    const turns: Record<'none' | 'idle', Array<Awaited<ReturnType<typeof round>>>> = { none: [], idle: [] };
    let rereads = 0;
    for (let turn = 0; turn < 2; turn++) {
      turns.none.push(await round(`w0-${turn}-`, ctx.sizes.tabsMs));
      await open();
      turns.idle.push(await round(`w${watches}-${turn}-`, ctx.sizes.tabsMs));
      rereads += (await Promise.all(writers.map((page) => live.idleRereads(page)))).reduce((a, b) => a + b, 0);
      for (const page of writers) await live.stopWatches(page);
    }
    const middle = (values: Array<number | undefined>) => {
      const known = values.filter((v): v is number => v !== undefined);
      return known.length > 0 ? quantile(known, 0.5) : null;
    };
    for (const [kind, metric] of [
      ['none', 'watch0'],
      ['idle', `watch${watches}`],
    ] as const) {
      set(ctx, 'B', `live.tabs8.${metric}.rate`, middle(turns[kind].map((t) => t.rate)));
      set(ctx, 'B', `live.tabs8.${metric}.cpu`, middle(turns[kind].map((t) => t.cpu)));
      set(ctx, 'B', `live.tabs8.${metric}.groupSize`, middle(turns[kind].map((t) => t.groupSize)));
    }
    set(ctx, 'B', 'live.idle.rereads', rereads);
    for (const page of tabs) await api.close(page).catch(() => undefined);
  });
}
