/**
 * For tests that drive test/tabs/harness.ts in several tabs (Node side): a tab with the id its
 * database reported, which of them leads, and what the shared `writes` table holds.
 *
 * Plain erasable TypeScript (runs under Node 24's native type stripping as well as under Vitest).
 */
import type { Tab as Page } from './tab.ts';

export interface HarnessTab {
  page: Page;
  /** The tab id its database reported (`status().tabId`). */
  tab: string;
}

/** The tab whose worker leads, once one does (every tab asked again every 100 ms). */
export async function leaderOf<T extends HarnessTab>(open: T[]): Promise<T> {
  for (;;) {
    const statuses = await Promise.all(open.map(({ page }) => page.evaluate(() => window.db.status())));
    const leader = open.find((_, i) => statuses[i]!.role === 'leader');
    if (leader) return leader;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Rows per (tab, seq) in the `writes` table, read from `reader`. */
export async function rowsByKey(reader: Page): Promise<Map<string, number>> {
  const rows = await reader.evaluate(() =>
    window.db.all<{ tab: string; seq: number; n: number }>('SELECT tab, seq, count(*) AS n FROM writes GROUP BY tab, seq'),
  );
  return new Map(rows.map((r) => [`${r.tab}/${r.seq}`, r.n]));
}
