/**
 * The demo page: opens the database, wires the cards together and exposes `window.__demo`.
 */
import { openDatabase, type Database } from 'sqlite-baton';
import { terminateWorker } from 'sqlite-baton/testing';
import { AllTabs, type TabFigures } from './all-tabs.ts';
import type { DemoApi } from './automation.ts';
import { LiveChart } from './chart.ts';
import { renderFigures, renderTabs, snapshot, type FiguresSnapshot } from './figures-view.ts';
import { LeaderView } from './leader-view.ts';
import { mountLiveView } from './live-view.ts';
import { mountSqlBox } from './sql-box.ts';
import { DEFAULT_CONFIG, WORKLOAD_SCHEMA, Workload, errorCode, type WorkloadConfig } from './workload.ts';

const DEFAULT_DB = 'sqlite-baton-demo';
const RENDER_MS = 500;
const CHART_MS = 1_000;

function byId<T extends HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} is missing from the page`);
  return element as T;
}

function showBanner(text: string, kind: 'error' | 'info' = 'error'): void {
  const banner = byId('banner');
  const box = document.createElement('div');
  box.textContent = text;
  banner.className = `banner ${kind === 'info' ? 'info' : ''}`;
  banner.replaceChildren(box);
  banner.hidden = false;
}

function clampInt(value: string, min: number, max: number, fallback: number): number {
  const n = Math.round(Number(value));
  return Number.isFinite(n) ? Math.min(max, Math.max(min, n)) : fallback;
}

async function main(): Promise<void> {
  const dbName = new URLSearchParams(location.search).get('db') || DEFAULT_DB;
  byId('db-name').textContent = dbName;
  byId('foot-db').textContent = JSON.stringify(dbName);

  let db: Database;
  try {
    db = await openDatabase(dbName);
    await db.exec(WORKLOAD_SCHEMA);
  } catch (error) {
    const text = `Could not open "${dbName}": ${errorCode(error)}: ${error instanceof Error ? error.message : String(error)}`;
    showBanner(text);
    window.__harnessError = text;
    return;
  }
  byId('storage').textContent = db.storage === 'opfs' ? '(OPFS)' : '(in memory)';
  db.addEventListener('fallback', (event) => {
    const { reason } = (event as CustomEvent<{ reason: string }>).detail;
    showBanner(`OPFS is not available here (${reason}): this tab has a private in-memory database, not shared with other tabs.`, 'info');
  });

  const tab = (await db.status()).tabId;
  const workload = new Workload(db, tab);
  const chart = new LiveChart(byId<HTMLCanvasElement>('chart'));
  // Mark changes of leader on the chart, not the leader this tab found when it opened.
  let knownLeader: string | null = null;
  const leader = new LeaderView(db, tab, (leaderId, epoch) => {
    if (knownLeader !== null) chart.mark(`${leaderId === tab ? 'this tab' : leaderId} leads · epoch ${epoch}`);
    knownLeader = leaderId;
  });
  await leader.poll();
  mountSqlBox(db);

  const ownFigures = (): TabFigures => {
    const w = workload.window.figures(performance.now(), workload.startedAt);
    return {
      tab,
      role: leader.role === 'leader' || leader.role === 'follower' ? leader.role : 'unknown',
      writers: workload.settings.writers,
      running: workload.running,
      sentAt: Date.now(),
      window: { calls: w.calls, rows: w.rows, spanMs: w.spanMs, errors: w.errors, latency: w.latency.toPairs() },
      total: { calls: workload.total.calls, rows: workload.total.rows, errors: { ...workload.total.errors } },
    };
  };
  const allTabs = new AllTabs(dbName, ownFigures);

  // Total rows comes from the file itself, the one figure no tab can make up: a live query, so it
  // follows every tab's commits (a failover or a crashed worker: the watch reads again by itself).
  let totalRows: number | null = null;
  db.watch<{ n: number }>('SELECT count(*) AS n FROM writes', [], (rows) => {
    totalRows = rows[0]?.n ?? 0;
  });
  const liveView = mountLiveView(db, tab, (text) => leader.log(text, true));

  const figures = (): FiguresSnapshot =>
    snapshot(workload.window.figures(performance.now(), workload.startedAt), workload.total, allTabs.figures(), totalRows);

  const inFlight = byId('in-flight');
  const render = () => {
    const now = figures();
    renderFigures(now);
    renderTabs(allTabs.figures().tabs, tab, leader.leaderId);
    inFlight.textContent = workload.running
      ? `${workload.settings.writers} writer${workload.settings.writers === 1 ? '' : 's'} running · ${workload.inFlight} call${workload.inFlight === 1 ? '' : 's'} in flight`
      : workload.inFlight > 0
        ? `Stopping: ${workload.inFlight} call${workload.inFlight === 1 ? '' : 's'} in flight`
        : 'No calls in flight.';
  };
  setInterval(render, RENDER_MS);
  setInterval(() => {
    const now = figures();
    chart.push({
      t: Date.now(),
      allRate: now.allTabs.rowsPerSecond,
      thisRate: now.thisTab.rowsPerSecond,
      p50: now.allTabs.p50,
      p99: now.allTabs.p99,
    });
  }, CHART_MS);

  // Writer controls. Changing a field while running applies it at once.
  const form = byId<HTMLFormElement>('writers-form');
  const inputs = {
    writers: byId<HTMLInputElement>('writers'),
    rate: byId<HTMLInputElement>('rate'),
    rows: byId<HTMLInputElement>('rows'),
    mode: byId<HTMLSelectElement>('mode'),
  };
  const startButton = byId<HTMLButtonElement>('start');
  const stopButton = byId<HTMLButtonElement>('stop');
  const runState = byId('run-state');

  const readForm = (): WorkloadConfig => ({
    writers: clampInt(inputs.writers.value, 1, 64, DEFAULT_CONFIG.writers),
    rate: clampInt(inputs.rate.value, 0, 1000, DEFAULT_CONFIG.rate),
    rows: clampInt(inputs.rows.value, 1, 500, DEFAULT_CONFIG.rows),
    mode: inputs.mode.value === 'transaction' ? 'transaction' : 'run',
  });
  const writeForm = (config: WorkloadConfig) => {
    inputs.writers.value = String(config.writers);
    inputs.rate.value = String(config.rate);
    inputs.rows.value = String(config.rows);
    inputs.mode.value = config.mode;
  };
  const showRunning = (running: boolean) => {
    runState.dataset.state = running ? 'running' : 'stopped';
    runState.textContent = running ? 'running' : 'stopped';
    startButton.disabled = running;
    stopButton.disabled = !running;
  };
  const start = (config: WorkloadConfig, keepLog = false) => {
    writeForm(config);
    const restarted = workload.running;
    workload.start(config, { keepLog });
    showRunning(true);
    leader.log(
      `${restarted ? 'writers now' : 'started'} ${config.writers} × ${config.rate === 0 ? 'flat out' : `${config.rate}/s`}, ${config.rows} row${config.rows === 1 ? '' : 's'}/call, ${config.mode}`,
    );
  };
  const stop = async (timeoutMs?: number) => {
    showRunning(false);
    const result = await workload.stop(timeoutMs);
    leader.log(result.settled ? 'writers stopped' : `writers stopped; ${result.pending.length} calls still unsettled`, !result.settled);
    return result;
  };

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    start(readForm());
  });
  form.addEventListener('change', () => {
    if (workload.running) start(readForm());
  });
  stopButton.addEventListener('click', () => void stop());

  byId('open-tab').addEventListener('click', () => {
    window.open(location.href, '_blank', 'noopener');
  });
  byId('crash').addEventListener('click', () => {
    leader.log(`worker terminated (${leader.role}); the next call starts a new one`, true);
    void terminateWorker(db).then(() => leader.poll());
  });

  const api: DemoApi = {
    tab,
    dbName,
    start: (config = {}, options = {}) => start({ ...readForm(), ...config }, options.keepLog),
    stop: (timeoutMs) => stop(timeoutMs),
    drain: () => workload.drain(),
    status: () => db.status(),
    figures,
    query: (text) => db.all(text),
    liveView,
    crash: async () => {
      leader.log(`worker terminated (${leader.role}); the next call starts a new one`, true);
      await terminateWorker(db);
    },
  };
  window.__demo = api;
  render();
  window.__harnessReady = true;
}

main().catch((error: unknown) => {
  const text = `The demo failed to start: ${error instanceof Error ? error.message : String(error)}`;
  showBanner(text);
  window.__harnessError = text;
});
