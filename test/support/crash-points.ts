/**
 * Crash points (Node side): ends the leader's worker, or closes its tab, at each step of a commit
 * in turn, for `run`, `batch`, an interactive transaction and a group of 8 calls from 4 tabs, and
 * checks after each: every acknowledged write present exactly once, every rejected one absent,
 * no write partly applied, no call unsettled, the file's integrity_check ok, and the step
 * really reached. Used by test/tabs/crash-points.test.ts and by the soak.
 *
 * The tabs run test/tabs/crash.ts; the leader's worker runs test/support/fault-injection.ts, which
 * the dev server adds only when SQLITE_BATON_FAULTS=1 (set it before starting the session).
 *
 * Plain erasable TypeScript (runs under Node 24's type stripping as well as under Vitest).
 */
import type { CrashCall } from '../tabs/crash.ts';
import type { BrowserSession } from './browser-session.ts';
import type { ArmedStep } from './fault-protocol.ts';
import { sleep } from './sleep.ts';
import type { Tab as Page } from './tab.ts';

export const CRASH_PATH = '/test/tabs/crash.html';

export type Workload = 'run' | 'batch' | 'tx' | 'group';
export type KillKind = 'terminate' | 'close' | 'crash';

export interface CrashPoint {
  workload: Workload;
  step: ArmedStep;
  kind: 'group' | 'transaction';
  /** Which occurrence of the step (from 1): the write of a group, the statement of a transaction, the reply. */
  nth: number;
}

/** Callers of the group workload: 4 tabs, 2 calls each. */
const GROUP_TABS = 4;
const GROUP_CALLS_PER_TAB = 2;
const GROUP_SIZE = GROUP_TABS * GROUP_CALLS_PER_TAB;
const TX_STATEMENTS = 3;
const SETTLE_MS = 45_000;

/** Every step of a commit, for every workload. */
export function allCrashPoints(): CrashPoint[] {
  const points: CrashPoint[] = [];
  const at = (workload: Workload, kind: CrashPoint['kind'], step: ArmedStep, nth = 1) => points.push({ workload, kind, step, nth });
  for (const workload of ['run', 'batch'] as const) {
    for (const step of ['before-begin', 'after-write', 'before-commit', 'in-flush', 'after-flush'] as const) at(workload, 'group', step);
  }
  at('tx', 'transaction', 'before-begin');
  for (let n = 1; n <= TX_STATEMENTS; n++) at('tx', 'transaction', 'after-write', n);
  for (const step of ['before-commit', 'in-flush', 'after-flush'] as const) at('tx', 'transaction', step);
  at('group', 'group', 'before-begin');
  for (let n = 1; n <= GROUP_SIZE; n++) at('group', 'group', 'after-write', n);
  for (const step of ['before-commit', 'in-flush', 'after-flush'] as const) at('group', 'group', step);
  // A group's replies to one tab leave as one message (src/message-batch.ts): between-replies
  // points lie between the tabs' messages.
  for (let n = 1; n < GROUP_TABS; n++) at('group', 'group', 'between-replies', n);
  return points;
}

/**
 * The steps around the IndexedDB engine's save, for a cluster on `storage: 'indexeddb'`: COMMIT
 * returned but nothing saved, the save's IndexedDB transaction under way, the save done but no
 * caller answered, and the first reply just sent (were it sent before the save completed, the
 * kill would lose an acknowledged write); for `run`, an interactive transaction and a group of 8
 * calls from 4 tabs.
 */
export function indexedDBCrashPoints(): CrashPoint[] {
  const points: CrashPoint[] = [];
  for (const [workload, kind] of [
    ['run', 'group'],
    ['tx', 'transaction'],
    ['group', 'group'],
  ] as const) {
    for (const step of ['after-flush', 'in-save', 'after-save', 'between-replies'] as const) points.push({ workload, kind, step, nth: 1 });
  }
  return points;
}

/**
 * The short form (test/support/short-form.ts): every step of every workload still, but of the
 * steps that repeat (each write of a transaction or a group, each gap between replies) only the
 * first and the last.
 */
export function shortCrashPoints(points: CrashPoint[]): CrashPoint[] {
  const last = new Map<string, number>();
  for (const p of points) last.set(`${p.workload}:${p.step}`, Math.max(last.get(`${p.workload}:${p.step}`) ?? 0, p.nth));
  return points.filter((p) => p.nth === 1 || p.nth === last.get(`${p.workload}:${p.step}`));
}

export function describePoint(p: CrashPoint): string {
  return `${p.workload}: ${p.step}${p.nth > 1 || p.step === 'after-write' || p.step === 'between-replies' ? ` #${p.nth}` : ''}`;
}

export interface PointResult {
  point: string;
  kill: KillKind;
  /** Calls acknowledged, rejected (by code), and the problems found; empty `problems` is a pass. */
  acknowledged: number;
  rejected: Record<string, number>;
  problems: string[];
  /** ms from the step being reached to every call settled. */
  settledMs: number;
}

interface Tab {
  page: Page;
  id: string;
}

/** A cluster of tabs on one database, driven point after point. */
export class CrashCluster {
  private readonly open: Tab[] = [];
  private seq = 0;
  /** Calls of tabs that were closed, collected just before. */
  private readonly collected: CrashCall[] = [];
  private readonly verified = new Set<number>();
  private readonly tabs: BrowserSession;
  readonly db: string;
  private readonly storage: 'auto' | 'indexeddb';

  // Plain fields, not parameter properties: Node runs this file with type stripping only (the soak).
  private constructor(tabs: BrowserSession, db: string, storage: 'auto' | 'indexeddb') {
    this.tabs = tabs;
    this.db = db;
    this.storage = storage;
  }

  /** Opens `count` tabs on `db` (the first one leads), in `storage`. */
  static async start(
    tabs: BrowserSession,
    db: string,
    count = GROUP_TABS + 1,
    storage: 'auto' | 'indexeddb' = 'auto',
  ): Promise<CrashCluster> {
    const cluster = new CrashCluster(tabs, db, storage);
    for (let i = 0; i < count; i++) await cluster.addTab();
    return cluster;
  }

  private async addTab(): Promise<void> {
    const page = await this.tabs.openTab(CRASH_PATH);
    const id = await page.evaluate(([name, storage]) => window.crash.open(name, storage), [this.db, this.storage] as const);
    this.open.push({ page, id });
  }

  /** The tab whose worker leads, once exactly one does. */
  private async leader(): Promise<Tab> {
    const giveUp = Date.now() + 30_000;
    for (;;) {
      const roles = await Promise.all(this.open.map(({ page }) => page.evaluate(() => window.crash.role()).catch(() => 'gone')));
      const leaders = this.open.filter((_, i) => roles[i] === 'leader');
      if (leaders.length === 1) return leaders[0]!;
      if (Date.now() > giveUp) throw new Error(`no single leader after 30 s: ${roles.join(', ')}`);
      await sleep(50);
    }
  }

  /** Runs one crash point and checks the file; the result lists every problem found. */
  async runPoint(point: CrashPoint, kill: KillKind): Promise<PointResult> {
    const leader = await this.leader();
    const followers = this.open.filter((t) => t !== leader);
    for (const { page } of this.open) await page.evaluate((a) => window.crash.endOnFire(a), 'nothing' as const);
    if (kill === 'terminate') await leader.page.evaluate(() => window.crash.endOnFire('terminate'));
    for (const { page } of this.open) await page.evaluate(() => (window.crash.fired.length = 0));
    const arm = () =>
      leader.page.evaluate((p) => window.crash.arm(p.step, p.kind, p.nth, p.workers), { ...point, workers: this.open.length });

    // A terminated worker's tab stays and retries its own calls: let the leader's tab call then.
    // A closed tab takes its calls' outcomes with it: let a follower call.
    const caller = kill === 'terminate' ? leader : followers[0]!;
    if (point.workload === 'group') {
      await leader.page.evaluate((s) => window.crash.hold(s), this.seq++);
      const callers = followers.slice(0, GROUP_TABS);
      for (const { page } of callers) {
        for (let i = 0; i < GROUP_CALLS_PER_TAB; i++) await page.evaluate((s) => window.crash.run(s), this.seq++);
      }
      await waitFor(
        () => leader.page.evaluate(() => window.crash.queueDepth()),
        (depth) => depth === GROUP_SIZE,
        'the group to queue',
      );
      await arm();
      await leader.page.evaluate(() => window.crash.release());
    } else {
      await arm();
      await caller.page.evaluate(
        ({ workload, seq }) => {
          if (workload === 'run') window.crash.run(seq);
          else if (workload === 'batch') window.crash.batch(seq);
          else window.crash.tx(seq);
        },
        { workload: point.workload, seq: this.seq++ },
      );
    }

    const expected = `${point.kind}:${point.step}#${point.nth}`;
    // Every tab hears the leader say it stopped; the leader's own tab is enough to ask.
    await waitFor(
      () => leader.page.evaluate(() => window.crash.fired.slice()),
      (fired) => fired.length > 0,
      `the leader to reach ${expected}`,
    );
    const reached = Date.now();
    if (kill !== 'terminate') await this.end(leader, kill);

    const problems: string[] = [];
    const settledBy = Date.now() + SETTLE_MS;
    for (;;) {
      const pending = await Promise.all(this.open.map(({ page }) => page.evaluate(() => window.crash.pending())));
      if (pending.every((n) => n === 0)) break;
      if (Date.now() > settledBy) {
        problems.push(`${pending.reduce((a, b) => a + b, 0)} calls unsettled ${SETTLE_MS} ms after the kill`);
        break;
      }
      await sleep(50);
    }
    const settledMs = Date.now() - reached;
    if (kill !== 'terminate') await this.addTab();

    const calls = [
      ...this.collected,
      ...(await Promise.all(this.open.map(({ page }) => page.evaluate(() => window.crash.calls())))).flat(),
    ];
    const fresh = calls.filter((c) => !this.verified.has(c.seq));
    const reader = this.open[0]!.page;
    const rows = await reader.evaluate(() =>
      window.db.all<{ seq: number; n: number; parts: number }>(
        'SELECT seq, count(*) AS n, count(DISTINCT part) AS parts FROM w GROUP BY seq',
      ),
    );
    const integrity = await reader.evaluate(async () =>
      (await window.db.all<{ integrity_check: string }>('PRAGMA integrity_check')).map((r) => r.integrity_check).join('; '),
    );
    if (integrity !== 'ok') problems.push(`integrity_check: ${integrity}`);
    const inFile = new Map(rows.map((r) => [r.seq, r]));
    const known = new Map(calls.map((c) => [c.seq, c]));
    const rejected: Record<string, number> = {};
    for (const call of fresh) {
      const row = inFile.get(call.seq);
      const n = row?.n ?? 0;
      if (call.ok === true && n !== call.parts)
        problems.push(`${call.kind} ${call.seq} acknowledged, ${n} of ${call.parts} rows in the file`);
      if (call.ok === false) {
        rejected[call.code!] = (rejected[call.code!] ?? 0) + 1;
        if (n !== 0) problems.push(`${call.kind} ${call.seq} rejected ${call.code}, yet ${n} rows in the file`);
        // A cut transaction is the one rejection allowed: every other call is retried to an answer.
        if (call.kind !== 'tx' || call.code !== 'TRANSACTION_ABORTED') problems.push(`${call.kind} ${call.seq} rejected ${call.code}`);
      }
      this.verified.add(call.seq);
    }
    for (const row of rows) {
      const call = known.get(row.seq);
      if (call && row.n > call.parts) problems.push(`${call.kind} ${row.seq}: ${row.n} rows, written ${call.parts}`);
      if (row.parts !== row.n) problems.push(`seq ${row.seq}: a part twice`);
    }
    return {
      point: describePoint(point),
      kill,
      acknowledged: fresh.filter((c) => c.ok === true).length,
      rejected,
      problems,
      settledMs,
    };
  }

  /** Closes or crashes `victim`'s tab, keeping its calls' outcomes. */
  private async end(victim: Tab, kill: 'close' | 'crash'): Promise<void> {
    this.collected.push(...(await victim.page.evaluate(() => window.crash.calls())));
    this.open.splice(this.open.indexOf(victim), 1);
    if (kill === 'crash') {
      // Bounded (a crash may go unreported), but a crash that could not be done is an error, not a close.
      let failure: unknown;
      await Promise.race([victim.page.crash().catch((error: unknown) => void (failure = error)), sleep(5_000)]);
      if (failure !== undefined) throw failure;
    }
    await victim.page.close().catch(() => undefined);
  }
}

async function waitFor<T>(probe: () => Promise<T>, done: (value: T) => boolean, what: string, ms = 30_000): Promise<T> {
  const giveUp = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > giveUp) throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(value)})`);
    await sleep(20);
  }
}
