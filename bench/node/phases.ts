/**
 * The phases of one bench run, each driving real tabs through their `window.bench`
 * (bench/shared/bench-page.ts). A phase that fails records its error and the run goes on:
 * one broken contender must not hide the others' figures.
 */
import type { Tab as Page } from '../../test/support/tab.ts';
import { sleep } from '../../test/support/sleep.ts';
import { uniqueName } from '../../test/support/unique-name.ts';
import type { OpenResult, PageEvent } from '../shared/bench-page.ts';
import type { BlobResult, BulkResult, LatencyResult, LoopOptions, LoopResult, Settings } from '../shared/workloads.ts';
import type { IoFigures } from '../isolated/io-meter.ts';
import { quantile } from '../shared/stats.ts';
import {
  INSECURE_HOST,
  ON_INDEXEDDB,
  PAGES,
  PEER_PAGES,
  TAB_COUNTS,
  type PeerId,
  type RunFigures,
  type Sizes,
  type SubjectId,
} from './plan.ts';
import type { BenchSession } from './session.ts';

export interface RunContext {
  session: BenchSession;
  sizes: Sizes;
  run: number;
  figures: RunFigures;
  settings: Partial<Record<SubjectId, Settings>>;
  /** Phase failures and write errors worth reading, for the report. */
  notes: string[];
  log(line: string): void;
  /** Put before every metric name: 'private.' for the private-window session. */
  prefix?: string;
  /** The slow-flush shim's syncs so far by process type, where that shim runs (see slow-flush.ts). */
  slowedSyncs?: () => Record<string, number>;
}

const PHASE_TIMEOUT_MS = 180_000;

export function set(ctx: RunContext, subject: SubjectId, metric: string, value: number | null): void {
  (ctx.figures[subject] ??= {})[`${ctx.prefix ?? ''}${metric}`] = value;
}

function timeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms / 1000} s`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

// The bench API of one tab, called from Node.
export const api = {
  open: (page: Page, name: string, options: Record<string, unknown> = {}) =>
    page.evaluate(([n, o]) => window.bench!.open(n, o), [name, options] as const) as Promise<OpenResult>,
  run: <T>(page: Page, workload: string, ...args: unknown[]) =>
    page.evaluate(([w, a]) => window.bench!.run(w, a), [workload, args] as const) as Promise<T>,
  loop: (page: Page, tab: string, options: LoopOptions) =>
    page.evaluate(([t, o]) => window.bench!.loop(t, o), [tab, options] as const) as Promise<LoopResult>,
  stop: (page: Page) => page.evaluate(() => window.bench!.stop()),
  commitCounts: (page: Page) => page.evaluate(() => window.bench!.commitCounts()),
  ping: (page: Page, count: number) => page.evaluate((c) => window.bench!.ping(c), count) as Promise<LatencyResult>,
  events: (page: Page) => page.evaluate(() => window.bench!.events()) as Promise<PageEvent[]>,
  close: (page: Page) => page.evaluate(() => window.bench!.close()),
};

/** Runs `body` with fresh tabs that are always closed afterwards; a failure becomes a note. */
export async function phase(
  ctx: RunContext,
  name: string,
  body: (tabs: Page[]) => Promise<void>,
  timeoutMs = PHASE_TIMEOUT_MS,
): Promise<boolean> {
  const tabs: Page[] = [];
  const started = Date.now();
  try {
    await timeout(body(tabs), timeoutMs, name);
    ctx.log(`  ${name}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return true;
  } catch (error) {
    const message = `run ${ctx.run + 1}, ${name}: ${String((error as Error)?.stack ?? error)
      .split('\n')
      .slice(0, 3)
      .join(' | ')}`;
    ctx.notes.push(message);
    ctx.log(`  FAILED ${message}`);
    return false;
  } finally {
    for (const tab of tabs) await tab.close().catch(() => {});
  }
}

export async function openTab(ctx: RunContext, tabs: Page[], path: string, label: string): Promise<Page> {
  const page = await ctx.session.openTab(path, label);
  tabs.push(page);
  return page;
}

/** One workload of a phase: a failure is noted and the phase goes on with the next one. */
export async function step(ctx: RunContext, subject: SubjectId, name: string, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (error) {
    const message = String((error as Error)?.message ?? error)
      .split('\n')[0]!
      .slice(0, 300);
    ctx.notes.push(`run ${ctx.run + 1}, ${subject} ${name} failed: ${message}`);
    ctx.log(`  ${subject} ${name} FAILED: ${message}`);
  }
}

export interface CpuSpent {
  total: number;
  byType: Record<string, number>;
}

/** Runs `body` and also returns the browser's CPU ms spent meanwhile (all its processes). */
export async function withCpu<T>(ctx: RunContext, body: () => Promise<T>): Promise<[T, CpuSpent | undefined]> {
  const before = ctx.session.cpuMs();
  const result = await body();
  const after = ctx.session.cpuMs();
  if (!before || !after) return [result, undefined];
  const byType: Record<string, number> = {};
  for (const [type, ms] of Object.entries(after.byType)) byType[type] = ms - (before.byType[type] ?? 0);
  return [result, { total: after.total - before.total, byType }];
}

/** CPU per operation, in all and for the browser process (the one that routes BroadcastChannel). */
function setCpuPerOp(ctx: RunContext, subject: SubjectId, metric: string, cpu: CpuSpent | undefined, ops: number): void {
  if (cpu === undefined || ops <= 0) return;
  set(ctx, subject, metric, cpu.total / ops);
  set(ctx, subject, `${metric}.browserProcess`, (cpu.byType.browser ?? 0) / ops);
  set(ctx, subject, `${metric}.renderers`, (cpu.byType.renderer ?? 0) / ops);
}

export function recordLatency(ctx: RunContext, subject: SubjectId, prefix: string, result: LatencyResult): void {
  set(ctx, subject, `${prefix}.p50`, result.p50);
  set(ctx, subject, `${prefix}.p99`, result.p99);
  set(ctx, subject, `${prefix}.mean`, result.mean);
  set(ctx, subject, `${prefix}.rate`, result.perSecond);
}

/** Schema, reads, writes and the bulk insert on one opened tab. */
async function singleTabWorkloads(
  ctx: RunContext,
  subject: SubjectId,
  page: Page,
  tab: string,
  bulkRows = ctx.sizes.bulkRows,
): Promise<void> {
  const { sizes } = ctx;
  await step(ctx, subject, 'write latency', async () => {
    const [result, cpu] = await withCpu(ctx, () => api.run<LatencyResult>(page, 'writeLatency', sizes.writes, tab));
    recordLatency(ctx, subject, 'write', result);
    setCpuPerOp(ctx, subject, 'write.cpu', cpu, result.count);
  });
  await step(ctx, subject, 'read latency', async () => {
    const [result, cpu] = await withCpu(ctx, () => api.run<LatencyResult>(page, 'readLatency', sizes.reads, sizes.readRows));
    recordLatency(ctx, subject, 'read', result);
    setCpuPerOp(ctx, subject, 'read.cpu', cpu, result.count);
  });
  if (bulkRows !== sizes.bulkRows) set(ctx, subject, 'bulk.rows', bulkRows);
  await step(ctx, subject, `${bulkRows}-row insert in one batch`, async () => {
    set(ctx, subject, 'bulk.batch', (await api.run<BulkResult>(page, 'bulkInsert', bulkRows, bulkRows)).rowsPerSecond);
  });
  // Fewer rows than a chunk would measure the one-batch figure again.
  if (bulkRows <= sizes.bulkChunk) return;
  await step(ctx, subject, `${bulkRows}-row insert in ${sizes.bulkChunk}-row batches`, async () => {
    set(ctx, subject, 'bulk.chunks', (await api.run<BulkResult>(page, 'bulkInsert', bulkRows, sizes.bulkChunk)).rowsPerSecond);
  });
}

/** Point reads in `reader` while `writer` writes single rows as fast as it can. */
async function readsUnderLoad(ctx: RunContext, subject: SubjectId, reader: Page, writer: Page): Promise<void> {
  const start = Date.now() + 200;
  const load = api.loop(writer, 'load', { startAt: start, endAt: start + 120_000, callTimeoutMs: ctx.sizes.callTimeoutMs });
  await sleep(500);
  let reads: LatencyResult;
  try {
    reads = await api.run<LatencyResult>(reader, 'readLatency', ctx.sizes.loadedReads, ctx.sizes.readRows, ctx.sizes.loadedReadsMaxMs);
  } finally {
    await api.stop(writer);
  }
  const loop = await load;
  set(ctx, subject, 'readLoad.count', reads.count);
  if (reads.count < ctx.sizes.loadedReads) {
    ctx.notes.push(
      `run ${ctx.run + 1}, ${subject} reads under load: only ${reads.count} of ${ctx.sizes.loadedReads} reads in ` +
        `${(reads.elapsedMs / 1000).toFixed(1)} s${reads.censored ? ' (the last one was still waiting when the time budget ran out)' : ''}; ` +
        `the writing tab got ${loop.acked} writes acknowledged meanwhile`,
    );
  }
  set(ctx, subject, 'readLoad.p50', reads.p50);
  set(ctx, subject, 'readLoad.p99', reads.p99);
  set(ctx, subject, 'readLoad.mean', reads.mean);
  set(ctx, subject, 'readLoad.writes', loop.acked);
  if (loop.errors > 0)
    ctx.notes.push(
      `run ${ctx.run + 1}, ${subject} reads under load: the writing tab saw ${loop.errors} errors ${JSON.stringify(loop.errorCodes)}`,
    );
}

export type Metered<T> = { result: T; io: IoFigures };

/** Storage calls per operation: `<prefix>.io.<method>` (calls) and `<prefix>.ioMs.<method>` (time in them). */
export function setIoPerOp(ctx: RunContext, subject: SubjectId, prefix: string, io: IoFigures, ops: number): void {
  if (ops === 0) return;
  for (const method of Object.keys(io.calls) as Array<keyof IoFigures['calls']>) {
    set(ctx, subject, `${prefix}.io.${method}`, io.calls[method] / ops);
    set(ctx, subject, `${prefix}.ioMs.${method}`, io.ms[method] / ops);
  }
}

/** A: raw sqlite-wasm in one worker, both journal modes; then sqlite-baton's engine without hops. */
export async function rawPhase(ctx: RunContext, names: Record<string, string>): Promise<void> {
  for (const [subject, mode] of [
    ['A_wal', 'wal'],
    ['A_rollback', 'rollback'],
    ['A_engine', 'engine'],
  ] as const) {
    await phase(ctx, `${subject} single tab`, async (tabs) => {
      const page = await openTab(ctx, tabs, PAGES.raw, subject);
      const name = (names[subject] = uniqueName(`bench-${subject}`));
      const opened = await api.open(page, name, { mode });
      ctx.settings[subject] = opened.settings;
      await api.run(page, 'schema');
      await api.run(page, 'prefill', ctx.sizes.readRows, 'prefill');
      await singleTabWorkloads(ctx, subject, page, 'a');
      if (subject !== 'A_engine') {
        // The loop the tabs run, with one writer, in the worker: A's durable autocommit rate.
        await step(ctx, subject, 'one writer loop', async () => {
          const [{ result: loop, io }, cpu] = await withCpu(ctx, () =>
            api.run<Metered<LoopResult>>(page, 'metered', 'soloLoop', ctx.sizes.tabsMs),
          );
          setIoPerOp(ctx, subject, 'tabs1', io, loop.latencies.length);
          set(ctx, subject, 'tabs1.rate', (loop.acked / ctx.sizes.tabsMs) * 1000);
          set(ctx, subject, 'tabs1.p50', quantile(loop.latencies, 0.5));
          set(ctx, subject, 'tabs1.p99', quantile(loop.latencies, 0.99));
          set(ctx, subject, 'tabs1.errors', loop.errors);
          setCpuPerOp(ctx, subject, 'tabs1.cpu', cpu, loop.latencies.length);
        });
      }
      if (subject === 'A_engine') {
        // The engine's group-commit ceiling: many callers at once, no tab and no hop in between.
        for (const writers of [1, 8]) {
          await step(ctx, subject, `${writers} concurrent writers`, async () => {
            const [{ result: r, io }, cpu] = await withCpu(ctx, () =>
              api.run<Metered<{ perSecond: number; p99: number; writes: number }>>(
                page,
                'metered',
                'concurrentWrites',
                writers,
                ctx.sizes.tabsMs,
              ),
            );
            setIoPerOp(ctx, subject, `concurrent${writers}`, io, r.writes);
            set(ctx, subject, `concurrent${writers}.rate`, r.perSecond);
            set(ctx, subject, `concurrent${writers}.p99`, r.p99);
            setCpuPerOp(ctx, subject, `concurrent${writers}.cpu`, cpu, (r.perSecond * ctx.sizes.tabsMs) / 1000);
          });
        }
        await step(ctx, subject, 'write profile', async () => {
          const steps = await api.run<Record<string, number>>(page, 'profileWrite', name, ctx.sizes.writes);
          for (const [key, value] of Object.entries(steps)) set(ctx, subject, `profile.write.${key}`, value);
        });
        await step(ctx, subject, 'batch profile', async () => {
          const steps = await api.run<Record<string, number>>(page, 'profileBatch', name, ctx.sizes.bulkRows);
          for (const [key, value] of Object.entries(steps)) set(ctx, subject, `profile.${key}`, value);
        });
      }
      await api.close(page);
    });
  }
}

/** B and C: one leader tab and one follower tab on one database. */
export async function batonPhase(ctx: RunContext, names: Record<string, string>): Promise<void> {
  await phase(ctx, 'B/C leader and follower', async (tabs) => {
    const name = (names.B = names.C = uniqueName('bench-baton'));
    const leader = await openTab(ctx, tabs, PAGES.baton, 'leader');
    const leaderOpen = await api.open(leader, name);
    const follower = await openTab(ctx, tabs, PAGES.baton, 'follower');
    const followerOpen = await api.open(follower, name);
    if (leaderOpen.role !== 'leader' || followerOpen.role !== 'follower') {
      throw new Error(`expected a leader and a follower, got ${leaderOpen.role} and ${followerOpen.role}`);
    }
    ctx.settings.B = leaderOpen.settings;
    ctx.settings.C = followerOpen.settings;
    await api.run(leader, 'schema');
    await api.run(leader, 'prefill', ctx.sizes.readRows, 'prefill');
    await step(ctx, 'B', 'ping', async () => recordLatency(ctx, 'B', 'ping', await api.ping(leader, ctx.sizes.pings)));
    await step(ctx, 'C', 'ping', async () => recordLatency(ctx, 'C', 'ping', await api.ping(follower, ctx.sizes.pings)));
    await singleTabWorkloads(ctx, 'B', leader, 'leader');
    await singleTabWorkloads(ctx, 'C', follower, 'follower');
    await step(ctx, 'B', 'reads under load', () => readsUnderLoad(ctx, 'B', leader, follower));
    await step(ctx, 'C', 'reads under load', () => readsUnderLoad(ctx, 'C', follower, leader));
    await api.close(follower);
    await api.close(leader);
  });
}

/**
 * B and C again, in cross-origin isolated pages, for nothing but the timer: 5 µs instead of the
 * 100 µs Chromium gives pages without COOP/COEP. Idle point reads and pings only.
 */
export async function batonFineTimerPhase(ctx: RunContext): Promise<void> {
  await phase(ctx, 'B/C reads at 5 µs timer grain', async (tabs) => {
    const name = uniqueName('bench-baton-fine');
    const leader = await openTab(ctx, tabs, PAGES.batonIsolated, 'isolated leader');
    const leaderOpen = await api.open(leader, name);
    const follower = await openTab(ctx, tabs, PAGES.batonIsolated, 'isolated follower');
    const followerOpen = await api.open(follower, name);
    if (leaderOpen.role !== 'leader' || followerOpen.role !== 'follower') throw new Error('expected a leader and a follower');
    const fine = await leader.evaluate(() => crossOriginIsolated);
    if (!fine) throw new Error('the isolated baton page is not cross-origin isolated');
    await api.run(leader, 'schema');
    await api.run(leader, 'prefill', ctx.sizes.readRows, 'prefill');
    for (const [subject, page] of [
      ['B', leader],
      ['C', follower],
    ] as const) {
      const ping = await api.ping(page, ctx.sizes.pings);
      set(ctx, subject, 'pingFine.p50', ping.p50);
      set(ctx, subject, 'pingFine.mean', ping.mean);
      const reads = await api.run<LatencyResult>(page, 'readLatency', ctx.sizes.reads, ctx.sizes.readRows);
      set(ctx, subject, 'readFine.p50', reads.p50);
      set(ctx, subject, 'readFine.p99', reads.p99);
      set(ctx, subject, 'readFine.mean', reads.mean);
    }
    await api.close(follower);
    await api.close(leader);
  });
  await phase(ctx, 'message hops without the library', async (tabs) => {
    const channel = uniqueName('bench-hop');
    const far = await openTab(ctx, tabs, PAGES.hop, 'hop echo');
    const near = await openTab(ctx, tabs, PAGES.hop, 'hop ping');
    await far.evaluate((c) => window.hop!.echo(c), channel);
    const count = ctx.sizes.pings;
    const own = await near.evaluate((n) => window.hop!.ownWorker(n), count);
    const workers = await near.evaluate(([c, n]) => window.hop!.workerToWorker(c, n), [channel, count] as const);
    const page = await near.evaluate(([c, n]) => window.hop!.pageToWorker(c, n), [channel, count] as const);
    set(ctx, 'C', 'hop.ownWorker.p50', own.p50);
    set(ctx, 'C', 'hop.workerToWorker.p50', workers.p50);
    set(ctx, 'C', 'hop.pageToWorker.p50', page.p50);
  });
}

/**
 * The peers (D naive, E SQLocal, F wa-sqlite, G PGlite, H Dexie): one tab for the single-tab
 * workloads, a second one to write while the first reads.
 *
 * PGlite on IndexedDB (G_idb) copies its changed files to IndexedDB after every query, reads
 * included (about 0.3 s each here): it gets a few writes and reads on the rows it wrote, nothing
 * more, or it would take the run's whole time.
 */
export async function perTabPhase(ctx: RunContext, subject: PeerId, names: Record<string, string>): Promise<void> {
  const { path, options } = PEER_PAGES[subject];
  // PGlite inserts one row per message (its transaction API): its bulk rate is measured on fewer rows.
  const bulkRows =
    subject === 'G' ? ctx.sizes.slowPeerBulkRows : subject === 'F' || subject === 'H' ? ctx.sizes.peerBulkRows : ctx.sizes.bulkRows;
  await phase(ctx, `${subject} single tab`, async (tabs) => {
    const name = (names[subject] = uniqueName(`bench-${subject}`));
    const first = await openTab(ctx, tabs, path, `${subject} 1`);
    ctx.settings[subject] = (await api.open(first, name, options)).settings;
    await api.run(first, 'schema');
    if (subject === 'G_idb') {
      const few = Math.min(20, ctx.sizes.writes);
      await step(ctx, subject, 'write latency', async () =>
        recordLatency(ctx, subject, 'write', await api.run<LatencyResult>(first, 'writeLatency', few, 'one')),
      );
      await step(ctx, subject, 'read latency', async () =>
        recordLatency(ctx, subject, 'read', await api.run<LatencyResult>(first, 'readLatency', few, few)),
      );
      return;
    }
    await api.run(first, 'prefill', ctx.sizes.readRows, 'prefill');
    await singleTabWorkloads(ctx, subject, first, 'one', bulkRows);
    const second = await openTab(ctx, tabs, path, `${subject} 2`);
    await api.open(second, name, options);
    await step(ctx, subject, 'reads under load', () => readsUnderLoad(ctx, subject, first, second));
    // No bench.close(): a read that ran out of time may still hold this tab's worker; closing
    // the tabs (phase() does) ends both connections, as closing a tab does in an app.
  });
}

/** 1, 2, 4 and 8 tabs (or `counts`) writing single rows at once, on one database per contender. */
export async function tabsPhase(ctx: RunContext, subject: 'B' | 'B_idb' | PeerId, counts: readonly number[] = TAB_COUNTS): Promise<void> {
  const { path, options } =
    subject === 'B'
      ? { path: PAGES.baton, options: {} }
      : subject === 'B_idb'
        ? { path: PAGES.baton, options: ON_INDEXEDDB }
        : PEER_PAGES[subject];
  await phase(ctx, `${subject} ${counts.join(', ')} tabs writing`, async (tabs) => {
    const name = uniqueName(`bench-${subject}-tabs`);
    const max = Math.max(...counts);
    // The first tab creates the file (and, for sqlite-baton and PGlite, leads); the others join at once.
    const first = await openTab(ctx, tabs, path, `${subject} tab 1`);
    await api.open(first, name, options);
    await api.run(first, 'schema');
    const others = await Promise.all(
      Array.from({ length: max - 1 }, async (_, i) => {
        const page = await ctx.session.openTab(path, `${subject} tab ${i + 2}`);
        await api.open(page, name, options);
        return page;
      }),
    );
    tabs.push(...others);
    for (const count of counts) {
      const startAt = Date.now() + 500;
      const options: LoopOptions = { startAt, endAt: startAt + ctx.sizes.tabsMs, callTimeoutMs: ctx.sizes.callTimeoutMs };
      const before = await api.commitCounts(first);
      const syncsBefore = ctx.slowedSyncs?.();
      const [results, cpu] = await withCpu(ctx, () => Promise.all(tabs.slice(0, count).map((page, i) => api.loop(page, `t${i}`, options))));
      const syncsAfter = ctx.slowedSyncs?.();
      const after = await api.commitCounts(first);
      if (before && after && after.commits > before.commits) {
        set(ctx, subject, `tabs${count}.groupSize`, (after.writes - before.writes) / (after.commits - before.commits));
      }
      const acked = results.reduce((sum, r) => sum + r.acked, 0);
      const writes = results.reduce((sum, r) => sum + r.latencies.length, 0);
      // File syncs per write, by the process that made them: where each contender's durability is paid.
      for (const [type, synced] of Object.entries(syncsAfter ?? {})) {
        if (writes > 0) set(ctx, subject, `tabs${count}.syncsPerWrite.${type}`, (synced - (syncsBefore?.[type] ?? 0)) / writes);
      }
      setCpuPerOp(
        ctx,
        subject,
        `tabs${count}.cpu`,
        cpu,
        results.reduce((sum, r) => sum + r.latencies.length, 0),
      );
      const errors = results.reduce((sum, r) => sum + r.errors, 0);
      const latencies = results.flatMap((r) => r.latencies);
      set(ctx, subject, `tabs${count}.rate`, (acked / ctx.sizes.tabsMs) * 1000);
      set(ctx, subject, `tabs${count}.p50`, quantile(latencies, 0.5));
      set(ctx, subject, `tabs${count}.p99`, quantile(latencies, 0.99));
      set(ctx, subject, `tabs${count}.errors`, errors);
      if (errors > 0) {
        const codes: Record<string, number> = {};
        for (const r of results) for (const [code, n] of Object.entries(r.errorCodes)) codes[code] = (codes[code] ?? 0) + n;
        const samples = results.flatMap((r) => r.errorSamples).slice(0, 2);
        ctx.notes.push(
          `run ${ctx.run + 1}, ${subject} ${count} tabs: ${errors} errors ${JSON.stringify(codes)}; e.g. ${samples.join(' / ')}`,
        );
      }
    }
    for (const page of tabs) await api.close(page).catch(() => {});
  });
}

interface Takeover {
  /** From the leader's end to the follower's first write acknowledged after it took over. */
  firstAckMs: number;
  /** From the leader's end to the follower's leaderchange to 'leader'. */
  tookOverMs: number;
  errors: number;
  errorCodes: Record<string, number>;
}

/**
 * A follower keeps writing; the leader's tab is closed (pagehide, then its worker ends) or its
 * renderer crashes (no goodbye). Times the follower's takeover and its first acknowledged write.
 */
async function takeover(
  ctx: RunContext,
  tabs: Page[],
  url: string,
  options: Record<string, unknown>,
  end: 'close' | 'crash',
): Promise<Takeover> {
  const name = uniqueName('bench-failover');
  const leader = await openTab(ctx, tabs, url, 'old leader');
  await api.open(leader, name, options);
  await api.run(leader, 'schema');
  const follower = await openTab(ctx, tabs, url, 'writing follower');
  if ((await api.open(follower, name, options)).role !== 'follower') throw new Error('the second tab should follow');
  const startAt = Date.now() + 200;
  const writing = api.loop(follower, 'f', { startAt, endAt: startAt + 60_000, callTimeoutMs: 30_000, keepAcks: true });
  await sleep(1_000);
  const endedAt = Date.now();
  if (end === 'close') await leader.close();
  else {
    await leader.crash();
  }
  tabs.splice(tabs.indexOf(leader), 1);
  // Wait for the takeover, then a little writing under the new leader.
  const deadline = Date.now() + 30_000;
  let tookOver: number | undefined;
  while (tookOver === undefined && Date.now() < deadline) {
    await sleep(100);
    const events = await api.events(follower);
    tookOver = events.find((e) => e.type === 'leaderchange' && e.at > endedAt && (e.detail as { role?: string }).role === 'leader')?.at;
  }
  await new Promise((r) => setTimeout(r, 300));
  await api.stop(follower);
  const loop = await writing;
  if (end === 'crash') await leader.close().catch(() => undefined);
  if (tookOver === undefined) throw new Error('the follower never took over');
  const firstAck = loop.acks?.find((at) => at >= tookOver);
  if (firstAck === undefined) throw new Error('no write was acknowledged after the takeover');
  await api.close(follower);
  return { firstAckMs: firstAck - endedAt, tookOverMs: tookOver - endedAt, errors: loop.errors, errorCodes: loop.errorCodes };
}

/**
 * Leader failover: a follower keeps writing; the leader's tab is closed. The figure is the time
 * from the close to the follower's first write acknowledged after it took over.
 */
export async function failoverPhase(ctx: RunContext): Promise<void> {
  await phase(ctx, 'C leader failover', async (tabs) => {
    const result = await takeover(ctx, tabs, PAGES.baton, {}, 'close');
    set(ctx, 'C', 'failover.ms', result.firstAckMs);
    set(ctx, 'C', 'failover.takeover', result.tookOverMs);
    set(ctx, 'C', 'failover.errors', result.errors);
    if (result.errors > 0)
      ctx.notes.push(`run ${ctx.run + 1}, failover: ${result.errors} writes failed ${JSON.stringify(result.errorCodes)}`);
  });
}

/**
 * sqlite-baton on IndexedDB (B_idb), on this origin with Web Locks, beside OPFS (B) and Dexie (H):
 * the single-tab workloads, reads while another tab writes, then failover by a closed and by a
 * crashed leader tab, with Web Locks here and with leases on the non-secure origin (where the
 * default storage is IndexedDB): `failover.<locks>.<close|crash>` (ms to the next acknowledged
 * write) and `.takeover` (ms to the follower's leaderchange).
 */
export async function indexedDBPhase(ctx: RunContext, names: Record<string, string>): Promise<void> {
  await phase(ctx, 'B_idb single tab', async (tabs) => {
    const name = (names.B_idb = uniqueName('bench-B_idb'));
    const first = await openTab(ctx, tabs, PAGES.baton, 'B_idb 1');
    ctx.settings.B_idb = (await api.open(first, name, ON_INDEXEDDB)).settings;
    await api.run(first, 'schema');
    await api.run(first, 'prefill', ctx.sizes.readRows, 'prefill');
    await singleTabWorkloads(ctx, 'B_idb', first, 'one');
    await step(ctx, 'B_idb', 'relaxed write latency', async () => {
      const relaxed = await openTab(ctx, tabs, PAGES.baton, 'B_idb relaxed');
      const relaxedName = uniqueName('bench-B_idb-relaxed');
      await api.open(relaxed, relaxedName, { ...ON_INDEXEDDB, durability: 'relaxed' });
      await api.run(relaxed, 'schema');
      recordLatency(ctx, 'B_idb', 'relaxed.write', await api.run<LatencyResult>(relaxed, 'writeLatency', ctx.sizes.writes, 'relaxed'));
      await api.close(relaxed);
    });
    const second = await openTab(ctx, tabs, PAGES.baton, 'B_idb 2');
    await api.open(second, name, ON_INDEXEDDB);
    await step(ctx, 'B_idb', 'reads under load', () => readsUnderLoad(ctx, 'B_idb', first, second));
    await api.close(second);
    await api.close(first);
  });
  const insecure = `http://${INSECURE_HOST}:${new URL(ctx.session.baseUrl).port}${PAGES.baton}`;
  for (const [locks, url, options] of [
    ['webLocks', PAGES.baton, ON_INDEXEDDB],
    ['leases', insecure, { storage: 'auto' }],
  ] as const) {
    for (const end of ['close', 'crash'] as const) {
      await phase(ctx, `B_idb failover, ${locks}, leader tab ${end === 'close' ? 'closed' : 'crashed'}`, async (tabs) => {
        const result = await takeover(ctx, tabs, url, options, end);
        set(ctx, 'B_idb', `failover.${locks}.${end}`, result.firstAckMs);
        set(ctx, 'B_idb', `failover.${locks}.${end}.takeover`, result.tookOverMs);
        set(ctx, 'B_idb', `failover.${locks}.${end}.errors`, result.errors);
        if (result.errors > 0) {
          ctx.notes.push(
            `run ${ctx.run + 1}, B_idb failover ${locks} ${end}: ${result.errors} writes failed ${JSON.stringify(result.errorCodes)}`,
          );
        }
      });
    }
  }
}

/**
 * Cold open: a new tab (so a new worker) opens an existing database that nobody has open and
 * runs its first query. C is the same for a tab that joins a running leader.
 */
export async function coldOpenPhase(ctx: RunContext, names: Record<string, string>): Promise<void> {
  const cases: Array<[SubjectId, string, Record<string, unknown>]> = [
    ['A_wal', PAGES.raw, { mode: 'wal' }],
    ['A_rollback', PAGES.raw, { mode: 'rollback' }],
    ['B', PAGES.baton, {}],
    ['B_idb', PAGES.baton, ON_INDEXEDDB],
    ...Object.entries(PEER_PAGES).map(([peer, { path, options }]): [SubjectId, string, Record<string, unknown>] => [
      peer as PeerId,
      path,
      options,
    ]),
  ];
  for (const [subject, path, options] of cases) {
    const name = names[subject];
    if (!name) continue;
    await phase(ctx, `${subject} cold open`, async (tabs) => {
      const page = await openTab(ctx, tabs, path, `${subject} cold`);
      const opened = await api.open(page, name, options);
      set(ctx, subject, 'cold.ms', opened.ms);
      for (const [step, ms] of Object.entries(opened.steps ?? {})) set(ctx, subject, `cold.${step}`, ms);
      await api.close(page);
    });
  }
  const batonName = names.B;
  if (batonName) {
    await phase(ctx, 'C cold open (joining a leader)', async (tabs) => {
      const leader = await openTab(ctx, tabs, PAGES.baton, 'leader');
      await api.open(leader, batonName);
      const page = await openTab(ctx, tabs, PAGES.baton, 'C cold');
      const opened = await api.open(page, batonName);
      if (opened.role !== 'follower') throw new Error('the joining tab should follow');
      set(ctx, 'C', 'cold.ms', opened.ms);
      await api.close(page);
      await api.close(leader);
    });
  }
}

/**
 * The write-rate comparison again in a private window (an incognito context), where OPFS lives
 * in the browser process's memory and every storage call is a round trip to it: raw sqlite-wasm's
 * one-writer loop (A) and 1-8 sqlite-baton tabs (B). Figures are stored under "private.".
 */
export async function privateWindowPhase(ctx: RunContext): Promise<void> {
  await phase(ctx, 'private window: A one writer', async (tabs) => {
    const page = await openTab(ctx, tabs, PAGES.raw, 'A_wal private');
    await api.open(page, uniqueName('bench-A_wal-private'), { mode: 'wal' });
    await api.run(page, 'schema');
    const { result: loop, io } = await api.run<Metered<LoopResult>>(page, 'metered', 'soloLoop', ctx.sizes.tabsMs);
    set(ctx, 'A_wal', 'tabs1.rate', (loop.acked / ctx.sizes.tabsMs) * 1000);
    set(ctx, 'A_wal', 'tabs1.p99', quantile(loop.latencies, 0.99));
    set(ctx, 'A_wal', 'tabs1.errors', loop.errors);
    setIoPerOp(ctx, 'A_wal', 'tabs1', io, loop.latencies.length);
    await api.close(page);
  });
  await tabsPhase(ctx, 'B');
}
