/**
 * The naive-mode page: runs the naive writers, then sqlite-baton with the same settings, shows
 * both, and keeps the last figures. `window.__naive.run(config)` does the same for automation.
 */
import { formatRate } from '../stats.ts';
import { errorCode } from '../workload.ts';
import { runBaton } from './baton-run.ts';
import { runNaive } from './naive-run.ts';
import {
  busyErrors,
  loadComparison,
  renderComparison,
  saveComparison,
  type CompareConfig,
  type Comparison,
  type Progress,
  type RunFigures,
} from './results.ts';

declare global {
  interface Window {
    __naive?: { run(config?: Partial<CompareConfig>): Promise<Comparison> };
    __harnessReady?: boolean;
  }
}

function byId<T extends HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} is missing from the page`);
  return element as T;
}

function clampInt(value: string, min: number, max: number): number {
  const n = Math.round(Number(value));
  return Number.isFinite(n) ? Math.min(max, Math.max(min, n)) : min;
}

const inputs = {
  writers: byId<HTMLInputElement>('writers'),
  rate: byId<HTMLInputElement>('rate'),
  rows: byId<HTMLInputElement>('rows'),
  seconds: byId<HTMLInputElement>('seconds'),
  busyTimeout: byId<HTMLInputElement>('busy-timeout'),
};
const runButton = byId<HTMLButtonElement>('run');
const runState = byId('run-state');
const live = byId('live');
const progressBar = byId('progress');

function readForm(): CompareConfig {
  return {
    writers: clampInt(inputs.writers.value, 1, 16),
    rate: clampInt(inputs.rate.value, 0, 1000),
    rows: clampInt(inputs.rows.value, 1, 500),
    seconds: clampInt(inputs.seconds.value, 2, 120),
    busyTimeout: clampInt(inputs.busyTimeout.value, 0, 60_000),
  };
}

function writeForm(config: CompareConfig): void {
  inputs.writers.value = String(config.writers);
  inputs.rate.value = String(config.rate);
  inputs.rows.value = String(config.rows);
  inputs.seconds.value = String(config.seconds);
  inputs.busyTimeout.value = String(config.busyTimeout);
}

function showError(text: string): void {
  const banner = byId('banner');
  const box = document.createElement('div');
  box.textContent = text;
  banner.replaceChildren(box);
  banner.hidden = false;
}

function show(comparison: Comparison, fresh: boolean): void {
  renderComparison(byId<HTMLTableElement>('results'), comparison.runs);
  const when = new Date(comparison.at).toLocaleString();
  const c = comparison.config;
  byId('results-when').textContent =
    `${fresh ? 'Run' : 'Last run on this machine'}: ${when} · ${c.writers} writers · ${c.rate === 0 ? 'flat out' : `${c.rate}/s each`} · ` +
    `${c.rows} row${c.rows === 1 ? '' : 's'}/call · ${c.seconds} s each · naive busy_timeout ${c.busyTimeout} ms`;
  const notes = byId('notes');
  notes.replaceChildren(
    ...comparison.runs.flatMap((run) =>
      run.notes.map((note) => {
        const item = document.createElement('li');
        item.textContent = `${run.label}: ${note}`;
        return item;
      }),
    ),
  );
}

let running = false;

async function compare(config: CompareConfig): Promise<Comparison> {
  if (running) throw new Error('a comparison is already running');
  running = true;
  runButton.disabled = true;
  runState.dataset.state = 'running';
  const steps = 3;
  const runs: RunFigures[] = [];
  const step = (index: number, label: string) => (p: Progress) => {
    const done = (index + Math.min(1, p.elapsedMs / (config.seconds * 1000))) / steps;
    progressBar.style.width = `${(100 * done).toFixed(1)}%`;
    const errors = Object.values(p.errors).reduce((a, b) => a + b, 0);
    live.textContent =
      `${label}: ${(p.elapsedMs / 1000).toFixed(1)} s · ${p.calls.toLocaleString('en-US')} committed ` +
      `(${formatRate(p.calls / Math.max(0.001, p.elapsedMs / 1000))}/s) · ${busyErrors(p.errors)} "database is locked" · ${errors} failed`;
  };
  try {
    runState.textContent = 'naive';
    runs.push(await runNaive(config, step(0, 'naive')));
    runState.textContent = 'baton';
    runs.push(await runBaton(config, 'transaction', step(1, 'sqlite-baton, db.transaction')));
    runs.push(await runBaton(config, 'run', step(2, 'sqlite-baton, db.run')));
    const comparison: Comparison = { at: new Date().toISOString(), userAgent: navigator.userAgent, config, runs };
    saveComparison(comparison);
    show(comparison, true);
    live.textContent = 'Done.';
    progressBar.style.width = '100%';
    return comparison;
  } catch (error) {
    live.textContent = '';
    showError(`The comparison failed: ${errorCode(error)}: ${error instanceof Error ? error.message : String(error)}`);
    throw error;
  } finally {
    running = false;
    runButton.disabled = false;
    runState.dataset.state = 'stopped';
    runState.textContent = 'idle';
  }
}

byId<HTMLFormElement>('compare-form').addEventListener('submit', (event) => {
  event.preventDefault();
  compare(readForm()).catch(() => undefined);
});

byId('isolation').textContent = crossOriginIsolated
  ? 'This page is cross-origin isolated: SharedArrayBuffer is available.'
  : 'This page is NOT cross-origin isolated, so the opfs VFS cannot run here (the dev server sends COOP/COEP only under /demo/naive).';
if (!crossOriginIsolated) runButton.disabled = true;

const last = loadComparison();
if (last) {
  writeForm(last.config);
  show(last, false);
}

window.__naive = {
  run: (config = {}) => {
    const full = { ...readForm(), ...config };
    writeForm(full);
    return compare(full);
  },
};
window.__harnessReady = true;
