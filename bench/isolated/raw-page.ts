/**
 * A: the page only starts the raw worker and hands it whole workloads; every statement runs
 * inside the worker (see raw-worker.ts). `open(name, { mode })`: 'wal', 'rollback' or 'engine'.
 */
import { installBenchPage } from '../shared/bench-page.ts';
import { connect } from '../shared/worker-rpc.ts';
import type { Settings } from '../shared/workloads.ts';

installBenchPage(async (name, options) => {
  const worker = new Worker(new URL('./raw-worker.ts', import.meta.url), { type: 'module', name: 'bench raw' });
  const call = connect(worker);
  // The worker's start and its modules' load, before any SQLite: a cold open's first part.
  const t0 = performance.now();
  await call('openSteps');
  const workerStartMs = performance.now() - t0;
  const settings = (await call('open', name, options.mode ?? 'wal')) as Settings;
  const noMessaging = () => Promise.reject(new Error('the raw contender runs whole workloads in its worker'));
  return {
    subject: {
      get: (sql, params) => call('get', sql, params),
      exec: noMessaging,
      run: noMessaging,
      batch: noMessaging,
    },
    runWorkload: (workload, args) => call('workload', workload, args),
    openSteps: async () => ({ workerStartMs, ...((await call('openSteps')) as Record<string, number>) }),
    settings: async () => settings,
    async close() {
      await call('close');
      worker.terminate();
    },
  };
});
