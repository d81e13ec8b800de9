/**
 * The multi-tab stress demo: real tabs of one headless browser (Chromium, or Firefox with
 * --engine firefox or SQLITE_BATON_ENGINE=firefox), each running the demo page's own
 * writers (through `window.__demo`), while the leader tab is closed at random moments and
 * replaced. At the end every acknowledged write (tab, seq) must be in the database exactly once.
 *
 *   npm run stress -- --tabs 8 --seconds 30 --kill-leader 3
 *     [--writers 2] [--rate 10] [--rows 1] [--mode run|transaction] [--seed 42] [--engine chromium|firefox]
 *
 * `--mode run` (default): each call is one `db.run` (an INSERT that reads inside itself), which
 * the library retries at the next leader exactly once. `--mode transaction`: each call is a
 * `db.transaction` that reads, then inserts; a transaction open on the leader when it dies is
 * rejected with TRANSACTION_ABORTED (none of it applied), which this script counts as an error.
 *
 * Definitions: a write is acknowledged when its `run`/`transaction` promise resolved; an error is a
 * call that rejected (any code). A closed tab's calls that had not settled when it was closed are
 * neither: they are reported as "in flight at close", and their rows, if any landed, as such.
 * The last line printed is one JSON object; the exit code is non-zero when any write was lost or
 * duplicated, any call rejected or hung, or the run could not be trusted (a tab reloaded).
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startBrowserSession, type BrowserSession } from '../test/support/browser-session.ts';
import { ENGINE_ENV, engineFromEnv, type Engine } from '../test/support/engine.ts';
import { seededRandom } from '../test/support/seeded-random.ts';
import { sleep } from '../test/support/sleep.ts';
import type { Tab as Page } from '../test/support/tab.ts';
import { uniqueName } from '../test/support/unique-name.ts';
import type {} from '../demo/automation.ts';
import type { Drained, FailedCall, PendingCall, WorkloadConfig } from '../demo/workload.ts';

export interface StressOptions {
  tabs: number;
  seconds: number;
  killLeader: number;
  writers: number;
  rate: number;
  rows: number;
  mode: WorkloadConfig['mode'];
  seed: number;
  engine: Engine;
}

/** The last line's JSON. The first eleven keys are the contract; the rest explain them. */
export interface StressResult {
  tabs: number;
  seconds: number;
  leaderKills: number;
  acknowledged: number;
  found: number;
  lost: number;
  duplicates: number;
  errors: number;
  writesPerSecond: number;
  p50Ms: number | null;
  p99Ms: number | null;
  mode: WorkloadConfig['mode'];
  errorsByCode: Record<string, number>;
  inFlightAtClose: number;
  inFlightAtCloseApplied: number;
  failedButApplied: number;
  unexplainedRows: number;
  hung: number;
  failoverMs: number[];
  pageErrors: number;
  reloads: number;
  /** Why the run stopped early, if it did. */
  aborted?: string;
  seed: number;
}

/** Longer than the library's default lockTimeout (30 s): a call still pending after this hangs. */
const STOP_TIMEOUT_MS = 45_000;
const DRAIN_EVERY_MS = 1_000;
const LEADER_SEARCH_MS = 15_000;

interface Tab {
  number: number;
  page: Page;
  id: string;
  openedAt: number;
  closedAt?: number;
}

interface KillRecord {
  at: number;
  tab: Tab;
  inFlight: PendingCall[];
  newLeader?: { id: string; tabNumber: number | undefined; afterMs: number };
  replacement?: Tab;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

const fmt = (n: number) => n.toLocaleString('en-US');
const ms = (n: number | null) => (n === null ? '–' : `${n.toFixed(1)} ms`);

export function parseOptions(argv: string[]): StressOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      tabs: { type: 'string', default: '8' },
      seconds: { type: 'string', default: '30' },
      'kill-leader': { type: 'string', default: '3' },
      writers: { type: 'string', default: '2' },
      rate: { type: 'string', default: '10' },
      rows: { type: 'string', default: '1' },
      mode: { type: 'string', default: 'run' },
      seed: { type: 'string' },
      engine: { type: 'string' },
    },
  });
  if (values.engine !== undefined) process.env[ENGINE_ENV] = values.engine;
  const int = (name: string, value: string | undefined, min: number): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}, got ${value}`);
    return n;
  };
  if (values.mode !== 'transaction' && values.mode !== 'run') throw new Error(`--mode must be transaction or run, got ${values.mode}`);
  const options: StressOptions = {
    tabs: int('tabs', values.tabs, 2),
    seconds: int('seconds', values.seconds, 1),
    killLeader: int('kill-leader', values['kill-leader'], 0),
    writers: int('writers', values.writers, 1),
    rate: int('rate', values.rate, 0),
    rows: int('rows', values.rows, 1),
    mode: values.mode,
    seed: values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : int('seed', values.seed, 0),
    engine: engineFromEnv(),
  };
  return options;
}

export async function stress(options: StressOptions, log: (line: string) => void = console.log): Promise<StressResult> {
  const rand = seededRandom(options.seed);
  const dbName = uniqueName(`stress-${options.seed.toString(36)}`);
  const config: WorkloadConfig = { writers: options.writers, rate: options.rate, rows: options.rows, mode: options.mode };
  const session: BrowserSession = await startBrowserSession({
    engine: options.engine,
    path: `/?db=${encodeURIComponent(dbName)}`,
    readyTimeout: 60_000,
  });

  const tabs: Tab[] = [];
  const acked = new Map<string, Drained['acked']>();
  const failed: Array<FailedCall & { tab: string; tabNumber: number }> = [];
  const kills: KillRecord[] = [];
  const inFlightAtClose: Array<PendingCall & { tab: string }> = [];
  // A reloaded tab (HMR is off, but a user could reload it) lost its writers' bookkeeping: the
  // run cannot be checked. The session lists every navigation nobody asked for.
  const reloads = session.navigations;
  let hung: Array<PendingCall & { tab: string }> = [];
  let aborted: string | undefined;
  let started = 0;
  const since = (t = Date.now()) => `+${((t - started) / 1000).toFixed(1)} s`.padStart(8);

  const live = () => tabs.filter((tab) => tab.closedAt === undefined);

  const take = (tab: Tab, drained: Drained) => {
    const list = acked.get(drained.tab) ?? [];
    for (const entry of drained.acked) list.push(entry);
    acked.set(drained.tab, list);
    for (const call of drained.failed) failed.push({ ...call, tab: drained.tab, tabNumber: tab.number });
  };

  const drain = async (tab: Tab): Promise<Drained> => {
    const drained = await withTimeout(
      tab.page.evaluate(() => window.__demo!.drain()),
      10_000,
      `drain of tab ${tab.number}`,
    );
    take(tab, drained);
    return drained;
  };

  const openTab = async (): Promise<Tab> => {
    const page = await session.openTab();
    const number = tabs.length + 1;
    const id = await page.evaluate(() => window.__demo!.tab);
    const tab: Tab = { number, page, id, openedAt: Date.now() };
    tabs.push(tab);
    await page.evaluate(({ config }) => window.__demo!.start(config, { keepLog: true }), { config });
    return tab;
  };

  const findLeader = async (exclude?: Tab): Promise<{ tab: Tab; status: { leaderId: string | null } } | undefined> => {
    const deadline = Date.now() + LEADER_SEARCH_MS;
    while (Date.now() < deadline) {
      const candidates = live().filter((tab) => tab !== exclude);
      const statuses = await Promise.all(
        candidates.map((tab) =>
          withTimeout(
            tab.page.evaluate(() => window.__demo!.status()),
            5_000,
            `status of tab ${tab.number}`,
          ).catch(() => undefined),
        ),
      );
      const index = statuses.findIndex((status) => status?.role === 'leader');
      if (index >= 0) return { tab: candidates[index]!, status: statuses[index]! };
      await sleep(25);
    }
    return undefined;
  };

  const killLeader = async (): Promise<void> => {
    const found = await findLeader();
    if (!found) {
      log(`${since()}  no tab reported itself leader within ${LEADER_SEARCH_MS / 1000} s: kill skipped`);
      return;
    }
    const victim = found.tab;
    // What settled up to now is the tab's acknowledged work; what is pending dies with the tab.
    const last = await drain(victim);
    const at = Date.now();
    await victim.page.close();
    victim.closedAt = at;
    const kill: KillRecord = { at, tab: victim, inFlight: last.pending };
    for (const call of last.pending) inFlightAtClose.push({ ...call, tab: victim.id });
    kills.push(kill);
    const next = await findLeader(victim);
    if (next) {
      kill.newLeader = { id: next.tab.id, tabNumber: next.tab.number, afterMs: Date.now() - at };
    }
    kill.replacement = await openTab();
    log(
      `${since(at)}  closed leader tab ${victim.number} (${victim.id}) with ${last.pending.length} call(s) in flight; ` +
        (kill.newLeader
          ? `tab ${kill.newLeader.tabNumber} (${kill.newLeader.id}) leads after ${kill.newLeader.afterMs} ms`
          : `NO new leader found within ${LEADER_SEARCH_MS / 1000} s`) +
        `; replacement tab ${kill.replacement.number} (${kill.replacement.id}) writing`,
    );
  };

  try {
    log(
      `sqlite-baton stress: ${options.tabs} tabs × ${options.writers} writers × ` +
        `${options.rate === 0 ? 'flat out' : `${options.rate} calls/s`}, ${options.rows} row(s)/call, ${options.mode} mode, ` +
        `${options.seconds} s, ${options.killLeader} leader kill(s), seed ${options.seed}`,
    );
    log(`database "${dbName}" on ${session.baseUrl}, ${session.browserVersion}`);
    log('');
    for (let i = 0; i < options.tabs; i++) await openTab();
    started = Date.now();
    const end = started + options.seconds * 1000;
    // One kill in each of killLeader equal slots of the middle 80% of the run, at a random point of it.
    const slot = (options.seconds * 800) / Math.max(1, options.killLeader);
    const killAt = Array.from({ length: options.killLeader }, (_, i) => started + options.seconds * 100 + slot * (i + rand()));
    log(`${since()}  ${options.tabs} tabs writing`);

    let lastDrain = Date.now();
    try {
      while (Date.now() < end) {
        if (killAt.length > 0 && Date.now() >= killAt[0]!) {
          killAt.shift();
          await killLeader();
          continue;
        }
        if (Date.now() - lastDrain >= DRAIN_EVERY_MS) {
          lastDrain = Date.now();
          await Promise.all(live().map((tab) => drain(tab)));
        }
        await sleep(Math.max(0, Math.min(100, end - Date.now(), (killAt[0] ?? Infinity) - Date.now())));
      }
      for (let i = killAt.length; i > 0; i--) await killLeader();
    } catch (error) {
      // A tab that stopped answering (crashed renderer, reload): report what was seen, then check
      // the file anyway; the run counts as failed.
      aborted = error instanceof Error ? error.message.split('\n')[0]! : String(error);
      log(`${since()}  RUN ABORTED: ${aborted}`);
    }

    const stoppedAt = Date.now();
    const stops = await Promise.all(
      live().map(async (tab) => {
        const result = await withTimeout(
          tab.page.evaluate((timeout) => window.__demo!.stop(timeout), STOP_TIMEOUT_MS),
          STOP_TIMEOUT_MS + 15_000,
          `stop of tab ${tab.number}`,
        ).catch((error: unknown) => {
          aborted ??= `stop of tab ${tab.number} failed: ${String(error).split('\n')[0]}`;
          return { settled: true, pending: [] as PendingCall[] };
        });
        return { tab, result };
      }),
    );
    hung = stops.flatMap(({ tab, result }) => result.pending.map((call) => ({ ...call, tab: tab.id })));
    await Promise.all(live().map((tab) => drain(tab).catch(() => undefined)));
    log(
      `${since(stoppedAt)}  writers stopped; ` +
        (hung.length === 0 ? 'every call settled' : `${hung.length} call(s) still pending ${STOP_TIMEOUT_MS / 1000} s later (HUNG)`) +
        ` (${since()})`,
    );
    const writingSeconds = (stoppedAt - started) / 1000;

    // The check, from a surviving tab, on the file itself.
    const checker = live()[0]!;
    const rows = await withTimeout(
      checker.page.evaluate(() => window.__demo!.query('SELECT tab, seq, count(*) AS n FROM writes GROUP BY tab, seq')),
      60_000,
      'final query',
    );
    const inDb = new Map<string, number>();
    for (const row of rows) inDb.set(`${String(row.tab)}#${Number(row.seq)}`, Number(row.n));

    const ackedKeys = new Set<string>();
    const latencies: number[] = [];
    let ackedCalls = 0;
    for (const [tab, entries] of acked) {
      for (const [seq, count, latency] of entries) {
        ackedCalls++;
        latencies.push(latency);
        for (let i = 0; i < count; i++) ackedKeys.add(`${tab}#${seq + i}`);
      }
    }
    latencies.sort((a, b) => a - b);
    let found = 0;
    const lostKeys: string[] = [];
    for (const key of ackedKeys) {
      if (inDb.has(key)) found++;
      else lostKeys.push(key);
    }
    const duplicateKeys = [...inDb].filter(([, n]) => n > 1);
    const duplicates = duplicateKeys.reduce((sum, [, n]) => sum + n - 1, 0);

    const failedKeys = new Map<string, (typeof failed)[number]>();
    for (const call of failed) for (let i = 0; i < call.rows; i++) failedKeys.set(`${call.tab}#${call.seq + i}`, call);
    const closedIds = new Set(tabs.filter((tab) => tab.closedAt !== undefined).map((tab) => tab.id));
    let inFlightApplied = 0;
    const failedButApplied: string[] = [];
    const unexplained: string[] = [];
    for (const key of inDb.keys()) {
      if (ackedKeys.has(key)) continue;
      const tab = key.slice(0, key.lastIndexOf('#'));
      if (failedKeys.has(key)) failedButApplied.push(key);
      else if (closedIds.has(tab)) inFlightApplied++;
      else unexplained.push(key);
    }

    const errorsByCode: Record<string, number> = {};
    for (const call of failed) errorsByCode[call.code] = (errorsByCode[call.code] ?? 0) + 1;

    const result: StressResult = {
      tabs: options.tabs,
      seconds: options.seconds,
      leaderKills: kills.length,
      acknowledged: ackedKeys.size,
      found,
      lost: lostKeys.length,
      duplicates,
      errors: failed.length,
      writesPerSecond: Math.round((ackedKeys.size / writingSeconds) * 10) / 10,
      p50Ms: percentile(latencies, 0.5),
      p99Ms: percentile(latencies, 0.99),
      mode: options.mode,
      errorsByCode,
      inFlightAtClose: inFlightAtClose.length,
      inFlightAtCloseApplied: inFlightApplied,
      failedButApplied: failedButApplied.length,
      unexplainedRows: unexplained.length,
      hung: hung.length,
      failoverMs: kills.map((kill) => kill.newLeader?.afterMs ?? -1),
      pageErrors: session.pageErrors.length,
      reloads: reloads.length,
      ...(aborted === undefined ? {} : { aborted }),
      seed: options.seed,
    };
    if (result.p50Ms !== null) result.p50Ms = Math.round(result.p50Ms * 10) / 10;
    if (result.p99Ms !== null) result.p99Ms = Math.round(result.p99Ms * 10) / 10;

    log('');
    log('writes');
    log(`  acknowledged         ${fmt(result.acknowledged)} rows in ${fmt(ackedCalls)} calls`);
    log(`  found                ${fmt(found)}`);
    log(`  lost                 ${fmt(result.lost)}${lostKeys.length ? `  e.g. ${lostKeys.slice(0, 5).join(', ')}` : ''}`);
    log(
      `  duplicates           ${fmt(duplicates)}${
        duplicateKeys.length
          ? `  e.g. ${duplicateKeys
              .slice(0, 5)
              .map(([k, n]) => `${k}×${n}`)
              .join(', ')}`
          : ''
      }`,
    );
    log(`  errors (rejected)    ${fmt(result.errors)}`);
    log(`  in flight at close   ${fmt(result.inFlightAtClose)} calls; ${fmt(inFlightApplied)} of their rows are in the file`);
    if (failedButApplied.length)
      log(`  REJECTED BUT APPLIED ${fmt(failedButApplied.length)} rows  e.g. ${failedButApplied.slice(0, 5).join(', ')}`);
    if (unexplained.length) log(`  UNEXPLAINED ROWS     ${fmt(unexplained.length)}  e.g. ${unexplained.slice(0, 5).join(', ')}`);
    log(`  hung calls           ${fmt(hung.length)}`);
    log(
      `  throughput           ${result.writesPerSecond} rows/s over ${writingSeconds.toFixed(1)} s; latency p50 ${ms(result.p50Ms)}, p99 ${ms(result.p99Ms)}`,
    );
    log(
      `  failover             ${kills.map((k) => (k.newLeader ? `${k.newLeader.afterMs} ms` : 'none')).join(', ') || '–'} (tab closed -> another tab reports itself leader)`,
    );
    if (failed.length) {
      log('');
      log(
        `errors by code: ${Object.entries(errorsByCode)
          .map(([code, n]) => `${code} ×${n}`)
          .join(', ')}`,
      );
      for (const call of failed.slice(0, 12)) {
        const nearest = kills.reduce<KillRecord | undefined>(
          (best, k) => (!best || Math.abs(k.at - call.failedAt) < Math.abs(best.at - call.failedAt) ? k : best),
          undefined,
        );
        log(
          `  tab ${call.tabNumber} (${call.tab}) seq ${call.seq}: ${call.code} in ${call.phase} after ${call.failedAt - call.startedAt} ms, ` +
            `${since(call.failedAt).trim()}${nearest ? ` (${((call.failedAt - nearest.at) / 1000).toFixed(2)} s from the kill at ${since(nearest.at).trim()})` : ''}: ${call.message}`,
        );
      }
      if (failed.length > 12) log(`  … ${failed.length - 12} more`);
    }
    if (hung.length) {
      log('');
      log('hung calls:');
      for (const call of hung.slice(0, 12))
        log(`  tab ${call.tab} writer ${call.writer} seq ${call.seq}: stuck in ${call.phase} since ${since(call.startedAt).trim()}`);
    }
    if (session.pageErrors.length) {
      log('');
      log('page errors:');
      const [first, ...rest] = session.pageErrors;
      // The first one in full (where it was thrown), the others by their first line.
      for (const line of first!.split('\n').slice(0, 10)) log(`  ${line}`);
      for (const error of rest.slice(0, 11)) log(`  ${error.split('\n')[0]}`);
      if (rest.length > 11) log(`  … ${rest.length - 11} more`);
    }
    if (reloads.length) {
      log('');
      log(`RUN INVALID: ${reloads.join('; ')}`);
    }
    log('');
    log(`RESULT: ${isFailure(result) ? 'FAIL' : 'PASS'}`);
    return result;
  } finally {
    await session.close();
  }
}

/** True when the run shows a problem: the exit code is then 1. */
export function isFailure(result: StressResult): boolean {
  return (
    result.lost > 0 ||
    result.duplicates > 0 ||
    result.errors > 0 ||
    result.hung > 0 ||
    result.reloads > 0 ||
    result.aborted !== undefined ||
    result.acknowledged === 0
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    const result = await stress(parseOptions(process.argv.slice(2)));
    console.log(JSON.stringify(result));
    process.exitCode = isFailure(result) ? 1 : 0;
  } catch (error) {
    console.error(error);
    process.exitCode = 2;
  }
}
