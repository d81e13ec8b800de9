/**
 * The "Live figures" and "Open tabs" cards: this tab's window next to the sum of all tabs.
 */
import type { AllTabsFigures, TabFigures } from './all-tabs.ts';
import { formatMs, formatRate, type WindowFigures } from './stats.ts';

/** The figures as numbers, for the page and for automation (`window.__demo.figures()`). */
export interface FiguresSnapshot {
  thisTab: {
    rowsPerSecond: number;
    callsPerSecond: number;
    p50: number;
    p99: number;
    acknowledgedRows: number;
    errors: Record<string, number>;
  };
  allTabs: {
    tabs: number;
    rowsPerSecond: number;
    callsPerSecond: number;
    p50: number;
    p99: number;
    acknowledgedRows: number;
    errors: Record<string, number>;
  };
  /** `SELECT count(*) FROM writes`, read from the file; null until first read. */
  totalRows: number | null;
}

export function snapshot(
  own: WindowFigures,
  ownTotal: TabFigures['total'],
  all: AllTabsFigures,
  totalRows: number | null,
): FiguresSnapshot {
  return {
    thisTab: {
      rowsPerSecond: (own.rows * 1000) / own.spanMs,
      callsPerSecond: (own.calls * 1000) / own.spanMs,
      p50: own.latency.percentile(0.5),
      p99: own.latency.percentile(0.99),
      acknowledgedRows: ownTotal.rows,
      errors: { ...ownTotal.errors },
    },
    allTabs: {
      tabs: all.tabs.length,
      rowsPerSecond: all.rowsPerSecond,
      callsPerSecond: all.callsPerSecond,
      p50: all.latency.percentile(0.5),
      p99: all.latency.percentile(0.99),
      acknowledgedRows: all.total.rows,
      errors: { ...all.total.errors },
    },
    totalRows,
  };
}

function set(id: string, text: string): void {
  const element = document.getElementById(id);
  if (element && element.textContent !== text) element.textContent = text;
}

function sum(counts: Record<string, number>): number {
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

function setErrors(id: string, errors: Record<string, number>): void {
  const element = document.getElementById(id);
  if (!element) return;
  const total = sum(errors);
  element.classList.toggle('bad', total > 0);
  const codes = Object.entries(errors)
    .sort((a, b) => b[1] - a[1])
    .map(([code, n]) => `${code} ×${n}`)
    .join(', ');
  const key = `${total}|${codes}`;
  if (element.dataset.key === key) return;
  element.dataset.key = key;
  element.replaceChildren(String(total));
  if (codes) {
    const detail = document.createElement('span');
    detail.className = 'codes';
    detail.textContent = codes;
    element.append(detail);
  }
}

export function renderFigures(figures: FiguresSnapshot): void {
  const { thisTab, allTabs } = figures;
  set('this-rows-s', formatRate(thisTab.rowsPerSecond));
  set('all-rows-s', formatRate(allTabs.rowsPerSecond));
  set('this-calls-s', formatRate(thisTab.callsPerSecond));
  set('all-calls-s', formatRate(allTabs.callsPerSecond));
  set('this-p50', formatMs(thisTab.p50));
  set('all-p50', formatMs(allTabs.p50));
  set('this-p99', formatMs(thisTab.p99));
  set('all-p99', formatMs(allTabs.p99));
  set('this-acked', thisTab.acknowledgedRows.toLocaleString('en-US'));
  set('all-acked', allTabs.acknowledgedRows.toLocaleString('en-US'));
  setErrors('this-errors', thisTab.errors);
  setErrors('all-errors', allTabs.errors);
  set('tab-count', `(${allTabs.tabs} open)`);
  set('total-rows', figures.totalRows === null ? '–' : figures.totalRows.toLocaleString('en-US'));
}

export function renderTabs(tabs: TabFigures[], me: string, leaderId: string | null): void {
  const body = document.getElementById('tabs-body');
  if (!body) return;
  body.replaceChildren(
    ...tabs.map((tab) => {
      const row = document.createElement('tr');
      if (tab.tab === me) row.className = 'me';
      const role = tab.tab === leaderId ? 'leader' : tab.role;
      const cells: Array<[string, string]> = [
        [tab.tab === me ? `${tab.tab} (this)` : tab.tab, ''],
        [role, role === 'leader' ? 'role-leader' : ''],
        [tab.running ? String(tab.writers) : '–', 'num'],
        [formatRate((tab.window.rows * 1000) / tab.window.spanMs), 'num'],
        [String(sum(tab.total.errors)), 'num'],
      ];
      for (const [text, className] of cells) {
        const td = row.insertCell();
        td.textContent = text;
        if (className) td.className = className;
      }
      return row;
    }),
  );
}
