/** F: this tab's wa-sqlite worker (see wasqlite-worker.ts); one message per call. */
import { installBenchPage } from '../shared/bench-page.ts';
import { workerContender } from '../shared/worker-contender.ts';

installBenchPage((name) =>
  workerContender(new Worker(new URL('./wasqlite-worker.ts', import.meta.url), { type: 'module', name: 'bench wa-sqlite' }), name),
);
