/**
 * The comparison's figures: their shape, where the last ones are kept (localStorage, so the page
 * shows the last run on this machine when it opens), and the side-by-side table.
 */
import { formatMs, formatRate } from '../stats.ts';

export interface CompareConfig {
  writers: number;
  /** Calls per second per writer; 0 = flat out. */
  rate: number;
  rows: number;
  seconds: number;
  /** PRAGMA busy_timeout of each naive connection, ms. sqlite-wasm's OpfsDb sets 10,000 by default; 0 fails at once. */
  busyTimeout: number;
}

export interface Progress {
  elapsedMs: number;
  calls: number;
  rows: number;
  errors: Record<string, number>;
}

export interface RunFigures {
  kind: 'naive' | 'baton-transaction' | 'baton-run';
  label: string;
  seconds: number;
  /** Calls that committed (acknowledged). */
  calls: number;
  rows: number;
  /** Calls that failed, by code. */
  errors: Record<string, number>;
  p50: number;
  p99: number;
  /** `SELECT count(*) FROM writes` after the run. */
  rowsInFile: number;
  notes: string[];
}

export interface Comparison {
  /** ISO time of the run. */
  at: string;
  userAgent: string;
  config: CompareConfig;
  runs: RunFigures[];
}

const STORAGE_KEY = 'sqlite-baton-demo:naive-comparison';

export function saveComparison(comparison: Comparison): void {
  try {
    localStorage.setItem(STORAGE_KEY, JSON.stringify(comparison));
  } catch {
    // Storage full or disabled: the figures are still on screen.
  }
}

export function loadComparison(): Comparison | undefined {
  try {
    const text = localStorage.getItem(STORAGE_KEY);
    if (!text) return undefined;
    const parsed = JSON.parse(text, (_key, value: unknown) => (value === null ? Number.NaN : value)) as Comparison;
    return Array.isArray(parsed.runs) && typeof parsed.config === 'object' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function sum(counts: Record<string, number>): number {
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

/** Busy errors: what users see as "database is locked". */
export function busyErrors(errors: Record<string, number>): number {
  return Object.entries(errors)
    .filter(([code]) => code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'))
    .reduce((a, [, n]) => a + n, 0);
}

function td(text: string, className = 'num'): HTMLTableCellElement {
  const cell = document.createElement('td');
  cell.textContent = text;
  cell.className = className;
  return cell;
}

/** The side-by-side table, one column per run. */
export function renderComparison(table: HTMLTableElement, runs: RunFigures[]): void {
  const head = document.createElement('thead');
  const headRow = head.insertRow();
  headRow.append(document.createElement('th'));
  for (const run of runs) {
    const th = document.createElement('th');
    th.scope = 'col';
    th.className = 'num';
    th.textContent = run.kind === 'naive' ? 'naive' : 'sqlite-baton';
    const sub = document.createElement('div');
    sub.className = 'muted small';
    sub.style.textTransform = 'none';
    sub.textContent = run.label;
    th.append(sub);
    headRow.append(th);
  }
  const maxRate = Math.max(1, ...runs.map((r) => r.calls / r.seconds));
  const rows: Array<[string, (run: RunFigures) => HTMLTableCellElement]> = [
    ['Committed calls/s', (r) => td(formatRate(r.calls / r.seconds))],
    [
      '',
      (r) => {
        const cell = td('');
        const bar = document.createElement('div');
        bar.className = r.kind === 'naive' ? 'bar naive' : 'bar';
        bar.style.width = `${Math.max(1, (100 * r.calls) / r.seconds / maxRate)}%`;
        bar.style.marginLeft = 'auto';
        cell.append(bar);
        return cell;
      },
    ],
    ['Rows written/s', (r) => td(formatRate(r.rows / r.seconds))],
    ['Latency p50', (r) => td(formatMs(r.p50))],
    ['Latency p99', (r) => td(formatMs(r.p99))],
    [
      '"database is locked" (SQLITE_BUSY)',
      (r) => {
        const n = busyErrors(r.errors);
        const cell = td(n.toLocaleString('en-US'));
        if (n > 0) cell.classList.add('bad');
        return cell;
      },
    ],
    [
      'All failed calls',
      (r) => {
        const n = sum(r.errors);
        const attempts = r.calls + n;
        const share = attempts > 0 ? ` (${((100 * n) / attempts).toFixed(n > 0 && (100 * n) / attempts < 1 ? 2 : 0)}%)` : '';
        const cell = td(`${n.toLocaleString('en-US')}${share}`);
        if (n > 0) cell.classList.add('bad');
        return cell;
      },
    ],
    [
      'Error codes',
      (r) =>
        td(
          Object.entries(r.errors)
            .map(([code, n]) => `${code} ×${n}`)
            .join(', ') || '–',
          'num small',
        ),
    ],
    ['Rows in the file afterwards', (r) => td(r.rowsInFile.toLocaleString('en-US'))],
    ['Seconds', (r) => td(r.seconds.toFixed(1))],
  ];
  const body = document.createElement('tbody');
  for (const [label, make] of rows) {
    const tr = body.insertRow();
    const th = document.createElement('th');
    th.scope = 'row';
    th.textContent = label;
    tr.append(th, ...runs.map(make));
  }
  table.replaceChildren(head, body);
}
