/**
 * A contender that lives in this tab's own dedicated worker and answers worker-rpc calls named
 * open/exec/run/get/batch/close (the naive setup, wa-sqlite): one message each way per call.
 */
import type { Contender } from './bench-page.ts';
import { connect } from './worker-rpc.ts';
import type { Settings } from './workloads.ts';

export async function workerContender(worker: Worker, name: string): Promise<Contender> {
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
}
