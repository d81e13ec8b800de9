/**
 * Chaos soak: several tabs write without pause while the leader is killed again and again, by
 * closing its tab, crashing its renderer (the tab capability `crash`: DevTools' `Page.crash` in
 * Chromium, the content process killed in Firefox) or terminating its worker, at random moments. Then, from a surviving tab, the file is checked against what every tab was told:
 * every acknowledged write present exactly once, no transaction half applied, integrity ok, no
 * call left hanging, no call rejected except transactions cut by a kill (which applied nothing).
 *
 *   npm run soak -- --tabs 4 --kills 20 [--loops 2] [--min-delay 50] [--max-delay 700] [--failover-p99 2000]
 *     [--engine chromium|firefox]   (default: SQLITE_BATON_ENGINE, else chromium)
 *
 * Prints figures, then one JSON line; exits 1 on any loss, duplicate, partial transaction, hung
 * call, unexpected rejection, integrity failure, page error, or a failover p99 over the limit.
 * test/tabs/soak.test.ts runs a short version through `runSoak`.
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startBrowserSession, type BrowserSession } from '../test/support/browser-session.ts';
import { ENGINE_ENV, engineFromEnv, type Engine } from '../test/support/engine.ts';
import { sleep } from '../test/support/sleep.ts';
import type { Tab as Page } from '../test/support/tab.ts';
import { uniqueName } from '../test/support/unique-name.ts';
import type { SoakWrite } from '../test/tabs/soak.ts';

export const SOAK_PATH = '/test/tabs/soak.html';

export type KillKind = 'close' | 'crash' | 'terminate';
const KILL_KINDS: readonly KillKind[] = ['close', 'crash', 'terminate'];

export interface SoakOptions {
  tabs: number;
  kills: number;
  /** Concurrent writers per tab. Default 2. */
  loops?: number;
  /** Random wait before each kill, in ms. Default 50..700. */
  minDelay?: number;
  maxDelay?: number;
  /** How long surviving calls may take to settle once writing stops. Default 15 s. */
  settleTimeout?: number;
  /** Fail when the failover p99 is above this (ms). Default: report only. */
  failoverP99Limit?: number;
  /** Default: SQLITE_BATON_ENGINE, else Chromium. */
  engine?: Engine;
  log?: (line: string) => void;
}

export interface SoakReport {
  db: string;
  kills: Record<KillKind, number>;
  /** Writes started / settled / acknowledged, over every tab whose outcomes were collected. */
  started: number;
  settled: number;
  acknowledged: number;
  /** Rejections by code. */
  rejected: Record<string, number>;
  /** Acknowledged writes missing from the file. */
  lost: string[];
  /** Groups with more rows than written. */
  duplicates: string[];
  /** Transactions with some but not all of their rows. */
  partial: string[];
  /** Rejections other than TRANSACTION_ABORTED of a transaction, or an aborted transaction that left rows. */
  unexpected: string[];
  /** Calls of surviving tabs still pending after `settleTimeout`. */
  hung: number;
  integrity: string;
  rows: number;
  /** ms from each kill to the first acknowledgement of a write started after it, in any tab. */
  failover: { samples: number; p50: number; p99: number; max: number };
  pageErrors: string[];
  /** Times the leader was a worker its page had replaced but not ended (a leaked worker). */
  orphanLeaders: string[];
  durationMs: number;
  ok: boolean;
}

interface Tab {
  page: Page;
  id: string;
}

interface Kill {
  kind: KillKind;
  at: number;
}

const OPEN_TIMEOUT_MS = 30_000;

function randomBetween(min: number, max: number): number {
  return Math.round(min + Math.random() * (max - min));
}

/** `promise`, or `fallback` after `ms`: a crashed page may never answer. */
function within<T>(promise: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<T>((resolve) => (timer = setTimeout(() => resolve(fallback), ms)));
  return Promise.race([promise.catch(() => fallback), late]).finally(() => clearTimeout(timer));
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function openTab(tabs: BrowserSession, db: string, loops: number): Promise<Tab> {
  const page = await tabs.openTab(SOAK_PATH);
  const id = await within(
    page.evaluate((name) => window.soak.open(name), db),
    OPEN_TIMEOUT_MS,
    undefined,
  );
  if (id === undefined) throw new Error(`a new tab could not open ${db} within ${OPEN_TIMEOUT_MS} ms`);
  await page.evaluate((n) => window.soak.start(n), loops);
  return { page, id };
}

/**
 * The tab whose page hosts the leader, once one leads (a failover may still be under way).
 * `orphan` is set when that tab's own worker is a follower while the others follow this tab: the
 * leader is a worker the page no longer uses (a leaked worker), which only closing the tab ends.
 */
async function leaderOf(open: Tab[], timeout = 30_000): Promise<{ tab: Tab; orphan: boolean }> {
  const giveUp = Date.now() + timeout;
  for (;;) {
    const statuses = await Promise.all(
      open.map(({ page }) =>
        within(
          page.evaluate(() => window.db.status()),
          5_000,
          undefined,
        ),
      ),
    );
    const leader = open.find((_, i) => statuses[i]?.role === 'leader');
    if (leader) return { tab: leader, orphan: false };
    const followed = statuses.find((s) => s?.leaderId)?.leaderId;
    const host = open.find((t) => t.id === followed);
    if (host && statuses.every((s) => s?.leaderId === followed)) return { tab: host, orphan: true };
    if (Date.now() > giveUp) throw new Error(`no tab leads after ${timeout} ms: ${JSON.stringify(statuses)}`);
    await sleep(50);
  }
}

async function kill(victim: Tab, kind: KillKind): Promise<void> {
  switch (kind) {
    case 'close':
      await within(victim.page.close(), 10_000, undefined);
      return;
    case 'crash': {
      // Bounded (a crash may go unreported), but a crash that could not be done is an error, not a close.
      let failure: unknown;
      await within(
        victim.page.crash().catch((error: unknown) => void (failure = error)),
        5_000,
        undefined,
      );
      if (failure !== undefined) throw failure;
      await within(victim.page.close(), 5_000, undefined);
      return;
    }
    case 'terminate':
      await within(
        victim.page.evaluate(() => window.db.terminateWorker()),
        5_000,
        undefined,
      );
      return;
  }
}

/** Rows per (tab, grp) in the file. */
interface FileGroup {
  tab: string;
  grp: number;
  kind: string;
  n: number;
  parts: number;
}

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const loops = options.loops ?? 2;
  const minDelay = options.minDelay ?? 50;
  const maxDelay = options.maxDelay ?? 700;
  const settleTimeout = options.settleTimeout ?? 15_000;
  const log = options.log ?? (() => undefined);
  const db = uniqueName('soak');
  const began = Date.now();
  const tabs = await startBrowserSession({ path: SOAK_PATH, engine: options.engine });
  try {
    const open: Tab[] = [];
    for (let i = 0; i < options.tabs; i++) open.push(await openTab(tabs, db, loops));
    log(`${options.tabs} tabs writing to ${db} (${loops} writers each)`);

    const kills: Kill[] = [];
    /** Outcomes of tabs that were closed or crashed, collected just before their end. */
    const collected: SoakWrite[] = [];
    const orphanLeaders: string[] = [];
    for (let k = 0; k < options.kills; k++) {
      await sleep(randomBetween(minDelay, maxDelay));
      const { tab: leader, orphan } = await leaderOf(open);
      if (orphan) orphanLeaders.push(`before kill ${k + 1}: tab ${leader.id} hosts a leader worker its page does not use`);
      // Terminating the page's worker would not end a leaked one: close or crash such a tab.
      const kinds = orphan ? KILL_KINDS.filter((c) => c !== 'terminate') : KILL_KINDS;
      const kind = kinds[Math.floor(Math.random() * kinds.length)]!;
      if (kind !== 'terminate') collected.push(...(await leader.page.evaluate(() => window.soak.all())));
      const at = Date.now();
      await kill(leader, kind);
      kills.push({ kind, at });
      log(`kill ${k + 1}/${options.kills}: ${kind} leader ${leader.id}`);
      if (kind !== 'terminate') {
        open.splice(open.indexOf(leader), 1);
        open.push(await openTab(tabs, db, loops));
        log(`  replacement ${open.at(-1)!.id} writing`);
      }
    }
    await sleep(maxDelay);

    // Stop, then wait (bounded) for every call of the surviving tabs to settle.
    await Promise.all(open.map(({ page }) => page.evaluate(() => window.soak.stop())));
    const settleBy = Date.now() + settleTimeout;
    let hung = 0;
    for (;;) {
      const pending = await Promise.all(open.map(({ page }) => page.evaluate(() => window.soak.pending())));
      hung = pending.reduce((a, b) => a + b, 0);
      if (hung === 0 || Date.now() > settleBy) break;
      await sleep(100);
    }
    const survivors = (await Promise.all(open.map(({ page }) => page.evaluate(() => window.soak.all())))).flat();

    const reader = open[0]!.page;
    const groups = await reader.evaluate(() =>
      window.db.all<FileGroup>('SELECT tab, grp, kind, count(*) AS n, count(DISTINCT part) AS parts FROM soak GROUP BY tab, grp, kind'),
    );
    const integrity = await reader.evaluate(async () => {
      const rows = await window.db.all<{ integrity_check: string }>('PRAGMA integrity_check');
      return rows.map((r) => r.integrity_check).join('; ');
    });

    const report = judge(db, [...collected, ...survivors], groups, kills, hung, integrity, tabs.pageErrors, orphanLeaders, began);
    if (options.failoverP99Limit !== undefined && !(report.failover.p99 <= options.failoverP99Limit)) report.ok = false;
    return report;
  } finally {
    await tabs.close();
  }
}

function judge(
  db: string,
  writes: SoakWrite[],
  groups: FileGroup[],
  kills: Kill[],
  hung: number,
  integrity: string,
  pageErrors: string[],
  orphanLeaders: string[],
  began: number,
): SoakReport {
  const file = new Map(groups.map((g) => [`${g.tab}/${g.grp}`, g]));
  const expected = (kind: string) => (kind === 'tx' ? 3 : 1);
  const lost: string[] = [];
  const duplicates: string[] = [];
  const partial: string[] = [];
  const unexpected: string[] = [];
  const rejected: Record<string, number> = {};

  for (const g of groups) {
    const key = `${g.tab}/${g.grp} (${g.kind})`;
    if (g.n > expected(g.kind)) duplicates.push(`${key}: ${g.n} rows`);
    else if (g.n < expected(g.kind) || g.parts !== g.n) partial.push(`${key}: ${g.n} rows, ${g.parts} parts`);
  }
  for (const w of writes) {
    if (w.end === undefined) continue;
    const key = `${w.tab}/${w.grp}`;
    const rows = file.get(key)?.n ?? 0;
    if (w.ok) {
      if (rows === 0) lost.push(`${key} (${w.kind})`);
      continue;
    }
    const code = w.code ?? 'none';
    rejected[code] = (rejected[code] ?? 0) + 1;
    if (w.kind !== 'tx' || code !== 'TRANSACTION_ABORTED') unexpected.push(`${key} (${w.kind}) rejected ${code}`);
    else if (rows !== 0) unexpected.push(`${key} aborted but left ${rows} rows`);
  }

  const acks = writes.filter((w) => w.ok);
  const samples: number[] = [];
  for (const { at } of kills) {
    let first = Number.POSITIVE_INFINITY;
    for (const w of acks) if (w.start >= at && w.end! < first) first = w.end!;
    if (Number.isFinite(first)) samples.push(first - at);
  }
  samples.sort((a, b) => a - b);
  const byKind = { close: 0, crash: 0, terminate: 0 } as Record<KillKind, number>;
  for (const k of kills) byKind[k.kind]++;

  const report: SoakReport = {
    db,
    kills: byKind,
    started: writes.length,
    settled: writes.filter((w) => w.end !== undefined).length,
    acknowledged: acks.length,
    rejected,
    lost,
    duplicates,
    partial,
    unexpected,
    hung,
    integrity,
    rows: groups.reduce((a, g) => a + g.n, 0),
    failover: { samples: samples.length, p50: percentile(samples, 50), p99: percentile(samples, 99), max: samples.at(-1) ?? Number.NaN },
    pageErrors: [...pageErrors],
    orphanLeaders,
    durationMs: Date.now() - began,
    ok: false,
  };
  report.ok =
    lost.length === 0 &&
    duplicates.length === 0 &&
    partial.length === 0 &&
    unexpected.length === 0 &&
    hung === 0 &&
    integrity === 'ok' &&
    pageErrors.length === 0 &&
    orphanLeaders.length === 0 &&
    samples.length === kills.length &&
    acks.length > 0;
  return report;
}

/** Human-readable lines for a report. */
export function describeReport(r: SoakReport): string[] {
  const list = (items: string[]) =>
    items.length === 0 ? '0' : `${items.length}: ${items.slice(0, 10).join(', ')}${items.length > 10 ? ', ...' : ''}`;
  return [
    `kills: ${r.kills.close + r.kills.crash + r.kills.terminate} (close ${r.kills.close}, crash ${r.kills.crash}, terminate ${r.kills.terminate})`,
    `writes: ${r.started} started, ${r.settled} settled, ${r.acknowledged} acknowledged; ${r.rows} rows in the file`,
    `rejected: ${JSON.stringify(r.rejected)}`,
    `lost: ${list(r.lost)}`,
    `duplicates: ${list(r.duplicates)}`,
    `partial transactions: ${list(r.partial)}`,
    `unexpected rejections: ${list(r.unexpected)}`,
    `hung calls: ${r.hung}`,
    `integrity_check: ${r.integrity}`,
    `failover (kill -> first ack of a write started after it): p50 ${r.failover.p50} ms, p99 ${r.failover.p99} ms, max ${r.failover.max} ms over ${r.failover.samples} kills`,
    `page errors: ${list(r.pageErrors)}`,
    `leaked leader workers: ${list(r.orphanLeaders)}`,
    `duration: ${(r.durationMs / 1000).toFixed(1)} s; ${r.ok ? 'OK' : 'FAILED'}`,
  ];
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      tabs: { type: 'string', default: '4' },
      kills: { type: 'string', default: '20' },
      loops: { type: 'string', default: '2' },
      'min-delay': { type: 'string', default: '50' },
      'max-delay': { type: 'string', default: '700' },
      'failover-p99': { type: 'string', default: '2000' },
      engine: { type: 'string' },
    },
  });
  if (values.engine !== undefined) process.env[ENGINE_ENV] = values.engine;
  const report = await runSoak({
    tabs: Number(values.tabs),
    kills: Number(values.kills),
    loops: Number(values.loops),
    minDelay: Number(values['min-delay']),
    maxDelay: Number(values['max-delay']),
    failoverP99Limit: Number(values['failover-p99']),
    engine: engineFromEnv(),
    log: (line) => console.log(line),
  });
  for (const line of describeReport(report)) console.log(line);
  console.log(JSON.stringify(report));
  process.exitCode = report.ok ? 0 : 1;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
