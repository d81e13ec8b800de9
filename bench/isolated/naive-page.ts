/** D: this tab's own worker and connection (see naive-worker.ts); one message per call. */
import { installBenchPage } from '../shared/bench-page.ts';
import { connect } from '../shared/worker-rpc.ts';
import type { Settings } from '../shared/workloads.ts';

installBenchPage(async (name) => {
  const worker = new Worker(new URL('./naive-worker.ts', import.meta.url), { type: 'module', name: 'bench naive' });
  const call = connect(worker);
  const settings = (await call('open', name)) as Settings;
  return {
    subject: {
      exec: async (sql) => {
        await call('exec', sql);
      },
      run: async (sql, params) => {
        await call('run', sql, params);
      },
      get: (sql, params) => call('get', sql, params),
      batch: async (statements) => {
        await call('batch', statements);
      },
    },
    settings: async () => settings,
    async close() {
      await call('close');
      worker.terminate();
    },
  };
});
