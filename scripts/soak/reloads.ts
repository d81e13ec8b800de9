/**
 * Rapid reloads: the leader's tab is reloaded again and again, a few hundred ms apart, while the
 * other tabs write. Each reload ends the leader mid-work and brings the same tab back as a new
 * worker that must queue behind the handles its previous self may still hold. Then the file is
 * checked as every soak does (scripts/soak.ts).
 */
import { leaderOf, openTab, stopAndJudge, SOAK_PATH, type Kill, type SoakReport, type Tab } from '../soak.ts';
import { startBrowserSession } from '../../test/support/browser-session.ts';
import type { SoakWrite } from '../../test/tabs/soak.ts';
import { seededRandom } from '../../test/support/seeded-random.ts';
import { sleep } from '../../test/support/sleep.ts';
import { uniqueName } from '../../test/support/unique-name.ts';

export interface ReloadOptions {
  tabs: number;
  reloads: number;
  seed: number;
  log?: (line: string) => void;
}

export async function runReloads(options: ReloadOptions): Promise<SoakReport> {
  const log = options.log ?? (() => undefined);
  const random = seededRandom(options.seed);
  const db = uniqueName('reloads');
  const began = Date.now();
  const tabs = await startBrowserSession({ path: SOAK_PATH });
  try {
    const open: Tab[] = [];
    for (let i = 0; i < options.tabs; i++) open.push(await openTab(tabs, db, 2, Math.floor(random() * 2 ** 32)));
    const kills: Kill[] = [];
    const collected: SoakWrite[] = [];
    for (let r = 0; r < options.reloads; r++) {
      await sleep(100 + random() * 300);
      const { tab: leader } = await leaderOf(open, 60_000);
      collected.push(...(await leader.page.evaluate(() => window.soak.all())));
      const at = Date.now();
      await leader.page.reload();
      await leader.page.waitForFunction(() => window.__harnessReady === true);
      // The reloaded tab is a new page with a new tab id; it writes again at once.
      leader.id = await leader.page.evaluate((name) => window.soak.open(name), db);
      await leader.page.evaluate((s) => window.soak.start(2, s), Math.floor(random() * 2 ** 32));
      kills.push({ kind: 'close', at });
      log(`reload ${r + 1}/${options.reloads}: leader tab reloaded, back as ${leader.id} in ${Date.now() - at} ms`);
    }
    const report = await stopAndJudge(tabs, db, open, collected, kills, [], began, 30_000);
    report.seed = options.seed;
    return report;
  } finally {
    await tabs.close();
  }
}
