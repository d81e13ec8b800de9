/** D: this tab's own worker and connection (see naive-worker.ts); one message per call. */
import { installBenchPage } from '../shared/bench-page.ts';
import { workerContender } from '../shared/worker-contender.ts';

installBenchPage((name) =>
  workerContender(new Worker(new URL('./naive-worker.ts', import.meta.url), { type: 'module', name: 'bench naive' }), name),
);
