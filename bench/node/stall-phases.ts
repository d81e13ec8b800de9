/**
 * What one tab's long call costs every other tab (issue 16, points 4 and 5). One connection in the
 * leader's worker serves every tab, so a 50 MB value or a 3-second read could hold up the small
 * writes of the other tabs; these phases measure by how much: two tabs write single rows in a loop
 * while a follower tab runs the long call, and each small write is sorted by when it started
 * (before, during, after the long call). Each runs twice in the same run: before the remedies (the
 * library's worker with them turned off, bench/baseline-worker.ts) and after.
 */
import { sleep } from '../../test/support/sleep.ts';
import type { Tab as Page } from '../../test/support/tab.ts';
import { quantile } from '../shared/stats.ts';
import type { BlobResult, LoopResult } from '../shared/workloads.ts';
import { uniqueName } from '../../test/support/unique-name.ts';
import { api, openTab, phase, set, type RunContext } from './phases.ts';
import { PAGES, type SubjectId } from './plan.ts';

/** Small writes after the long call ends that still count as "right after" it. */
const AFTER_MS = 2_000;
/** Small writes before the long call starts: the baseline. */
const BEFORE_MS = 1_000;

interface Window {
  start: number;
  end: number;
}

/** The other tabs' write latencies, split by when each write started relative to `window`. */
function recordOthers(ctx: RunContext, subject: SubjectId, prefix: string, loops: LoopResult[], window: Window): void {
  const before: number[] = [];
  const during: number[] = [];
  const after: number[] = [];
  for (const loop of loops) {
    loop.latencies.forEach((ms, i) => {
      const start = loop.starts?.[i] ?? Number.NaN;
      if (start < window.start) before.push(ms);
      else if (start <= window.end) during.push(ms);
      else if (start <= window.end + AFTER_MS) after.push(ms);
    });
  }
  set(ctx, subject, `${prefix}.before.p99`, quantile(before, 0.99));
  set(ctx, subject, `${prefix}.during.count`, during.length);
  set(ctx, subject, `${prefix}.during.p50`, quantile(during, 0.5));
  set(ctx, subject, `${prefix}.during.p99`, quantile(during, 0.99));
  set(ctx, subject, `${prefix}.during.max`, during.length > 0 ? Math.max(...during) : null);
  set(ctx, subject, `${prefix}.after.p50`, quantile(after, 0.5));
  set(ctx, subject, `${prefix}.after.max`, after.length > 0 ? Math.max(...after) : null);
  const errors = loops.reduce((sum, loop) => sum + loop.errors, 0);
  set(ctx, subject, `${prefix}.errors`, errors);
  if (errors > 0) {
    const codes = loops.map((loop) => JSON.stringify(loop.errorCodes)).join(' ');
    ctx.notes.push(`run ${ctx.run + 1}, ${prefix}: the writing tabs saw ${errors} errors ${codes}`);
  }
}

/**
 * A leader tab and two followers on one database; `body` runs the long call in the first
 * follower while the leader and the other follower write single rows, and returns its window.
 */
async function withWritingTabs(
  ctx: RunContext,
  tabs: Page[],
  label: string,
  body: (caller: Page) => Promise<Window>,
  prepare?: (caller: Page) => Promise<void>,
  baseline = false,
): Promise<{ loops: LoopResult[]; window: Window }> {
  const name = uniqueName(`bench-${label}`);
  const openOptions = baseline ? { baseline: true } : {};
  const leader = await openTab(ctx, tabs, PAGES.baton, `${label} leader`);
  await api.open(leader, name, openOptions);
  await api.run(leader, 'schema');
  const caller = await openTab(ctx, tabs, PAGES.baton, `${label} caller`);
  const other = await openTab(ctx, tabs, PAGES.baton, `${label} writer`);
  for (const page of [caller, other]) {
    if ((await api.open(page, name, openOptions)).role !== 'follower') throw new Error(`${label}: the later tabs should follow`);
  }
  await prepare?.(caller);
  const startAt = Date.now() + 200;
  // No call timeout to speak of: how long a small write waits is the figure.
  const options = { startAt, endAt: startAt + 3_600_000, callTimeoutMs: 600_000, keepStarts: true };
  const writing = [api.loop(leader, 'w-leader', options), api.loop(other, 'w-other', options)];
  let window: Window;
  try {
    await sleep(200 + BEFORE_MS);
    window = await body(caller);
    await sleep(AFTER_MS);
  } finally {
    await Promise.all([leader, other].map((page) => api.stop(page).catch(() => undefined)));
  }
  return { loops: await Promise.all(writing), window };
}

/**
 * Point 4: a 50 MB blob written and read back (a point read, then the same read as a batch)
 * from a follower, against raw sqlite-wasm doing the same in its worker (A); the other tabs'
 * small writes meanwhile.
 */
export async function blobPhase(ctx: RunContext): Promise<void> {
  const bytes = ctx.sizes.blobBytes;
  const mb = `${Math.round(bytes / 1024 / 1024)} MB`;
  await phase(ctx, `A ${mb} blob`, async (tabs) => {
    const page = await openTab(ctx, tabs, PAGES.raw, 'A blob');
    await api.open(page, uniqueName('bench-A-blob'), { mode: 'wal' });
    const result = await api.run<BlobResult>(page, 'blobRoundTrip', bytes, false);
    set(ctx, 'A_wal', 'blob.write.ms', result.writeMs);
    set(ctx, 'A_wal', 'blob.read.ms', result.readMs);
    await api.close(page);
  });
  // Before (values copied inside the messages between tabs) and after (large values as Blobs).
  for (const [prefix, baseline] of [
    ['blob.before.', true],
    ['blob.', false],
  ] as const) {
    await phase(
      ctx,
      `C ${mb} blob from a follower, 2 tabs writing${baseline ? ', values copied in messages (before)' : ''}`,
      async (tabs) => {
        let result: BlobResult | undefined;
        const { loops, window } = await withWritingTabs(
          ctx,
          tabs,
          'blob',
          async (caller) => {
            const start = Date.now();
            result = await api.run<BlobResult>(caller, 'blobRoundTrip', bytes, ctx.sizes.blobBatchRead);
            return { start, end: Date.now() };
          },
          undefined,
          baseline,
        );
        set(ctx, 'C', `${prefix}write.ms`, result!.writeMs);
        set(ctx, 'C', `${prefix}read.ms`, result!.readMs);
        if (result!.batchReadMs !== undefined) set(ctx, 'C', `${prefix}batchRead.ms`, result!.batchReadMs);
        set(ctx, 'C', `${prefix}calls.ms`, window.end - window.start);
        recordOthers(ctx, 'C', `${prefix}others`, loops, window);
      },
      600_000,
    );
  }
}

/**
 * Point 5: a follower's read of about `longReadMs` (SQLite counting), while two tabs write single
 * rows: before (every read on the leader's one connection) and after (long reads handed to the
 * reader worker).
 */
export async function longReadPhase(ctx: RunContext): Promise<void> {
  // The same read before and after: calibrated once, in the first (one-connection) run.
  let n = 0;
  for (const [prefix, baseline] of [
    ['longRead.before.', true],
    ['longRead.', false],
  ] as const) {
    await phase(
      ctx,
      `C ${ctx.sizes.longReadMs / 1000} s read, 2 tabs writing${baseline ? ', one connection (before)' : ''}`,
      async (tabs) => {
        let readMs = 0;
        const { loops, window } = await withWritingTabs(
          ctx,
          tabs,
          'longread',
          async (caller) => {
            const start = Date.now();
            readMs = (await api.run<{ ms: number }>(caller, 'countTo', n)).ms;
            return { start, end: Date.now() };
          },
          // Calibrated in a follower on a leader that reads on its own connection, before anyone
          // writes: SQLite's counting speed. The probe runs twice, the first one warming up.
          async (caller) => {
            if (n > 0) return;
            const probe = 1_000_000;
            await api.run<{ ms: number }>(caller, 'countTo', probe);
            const { ms } = await api.run<{ ms: number }>(caller, 'countTo', probe);
            n = Math.max(probe, Math.round((probe * ctx.sizes.longReadMs) / Math.max(ms, 1)));
          },
          baseline,
        );
        set(ctx, 'C', `${prefix}ms`, readMs);
        recordOthers(ctx, 'C', `${prefix}others`, loops, window);
      },
    );
  }
}
