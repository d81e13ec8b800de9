/**
 * Election storm: 32 tabs open the database all at once (32 workers queue for the leader lock and
 * discover each other in the same second), then the leader is killed five times while every tab
 * writes. Checks that exactly one tab leads each time and every tab agrees on it, then the file as
 * every soak does (scripts/soak.ts: nothing lost, doubled or half applied, nothing hung).
 */
import { kill, leaderOf, openTab, stopAndJudge, SOAK_PATH, type Kill, type KillKind, type SoakReport, type Tab } from '../soak.ts';
import { startBrowserSession } from '../../test/support/browser-session.ts';
import type { SoakWrite } from '../../test/tabs/soak.ts';
import { seededRandom } from '../../test/support/seeded-random.ts';
import { sleep } from '../../test/support/sleep.ts';
import { uniqueName } from '../../test/support/unique-name.ts';

export interface StormOptions {
  tabs: number;
  kills: number;
  seed: number;
  log?: (line: string) => void;
}

export interface StormReport extends SoakReport {
  /** ms from the first tab opening to all of them open and agreeing on one leader. */
  openAllMs: number;
  /** ms from each kill to every tab agreeing on the next leader. */
  agreementMs: number[];
  /** Times more (or fewer) than one tab said it led, or tabs disagreed, after things settled. */
  splitBrains: string[];
}

const KINDS: readonly KillKind[] = ['close', 'crash', 'terminate'];

/** Waits until every tab names the same leader and exactly one says it leads; returns the ms it took. */
async function agreement(open: Tab[], since: number, problems: string[], what: string): Promise<number> {
  const giveUp = Date.now() + 60_000;
  for (;;) {
    const statuses = await Promise.all(open.map(({ page }) => page.evaluate(() => window.db.status()).catch(() => undefined)));
    const leaders = statuses.filter((s) => s?.role === 'leader');
    const named = new Set(statuses.map((s) => s?.leaderId ?? null));
    if (leaders.length === 1 && named.size === 1 && !named.has(null)) return Date.now() - since;
    if (Date.now() > giveUp) {
      problems.push(`${what}: ${leaders.length} tabs lead, tabs name ${[...named].join(', ')}`);
      return Date.now() - since;
    }
    await sleep(50);
  }
}

export async function runStorm(options: StormOptions): Promise<StormReport> {
  const log = options.log ?? (() => undefined);
  const random = seededRandom(options.seed);
  const db = uniqueName('storm');
  const began = Date.now();
  const tabs = await startBrowserSession({ path: SOAK_PATH, readyTimeout: 120_000 });
  try {
    const splitBrains: string[] = [];
    const opening = Date.now();
    // All at once: every page is created and opens the database in the same moment.
    const open = await Promise.all(Array.from({ length: options.tabs }, () => openTab(tabs, db, 1, Math.floor(random() * 2 ** 32))));
    const openAllMs = await agreement(open, opening, splitBrains, `${options.tabs} tabs opened at once`);
    log(`${options.tabs} tabs opened at once and agreed on one leader in ${openAllMs} ms`);
    const kills: Kill[] = [];
    const collected: SoakWrite[] = [];
    const agreementMs: number[] = [];
    for (let k = 0; k < options.kills; k++) {
      await sleep(300 + random() * 700);
      const { tab: leader } = await leaderOf(open, 60_000);
      const kind = KINDS[Math.floor(random() * KINDS.length)]!;
      if (kind !== 'terminate') collected.push(...(await leader.page.evaluate(() => window.soak.all())));
      const at = Date.now();
      await kill(leader, kind);
      kills.push({ kind, at });
      if (kind !== 'terminate') open.splice(open.indexOf(leader), 1);
      agreementMs.push(await agreement(open, at, splitBrains, `after kill ${k + 1}`));
      log(
        `kill ${k + 1}/${options.kills}: ${kind} leader ${leader.id}; ${open.length} tabs agreed on the next one in ${agreementMs.at(-1)} ms`,
      );
    }
    const report = await stopAndJudge(tabs, db, open, collected, kills, [], began, 60_000);
    report.seed = options.seed;
    report.ok = report.ok && splitBrains.length === 0;
    return { ...report, openAllMs, agreementMs, splitBrains };
  } finally {
    await tabs.close();
  }
}
