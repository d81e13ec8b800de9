import { expose } from 'comlink';
import { installErrorTransfer } from '../src/error-transfer.ts';
import { batchedEndpoint } from '../src/message-batch.ts';
import type { WorkerEventMessage } from '../src/protocol.ts';
import { READER_WORKER_NAME, serveReads } from './reader/reader-worker.ts';
import { createWorkerApi } from './worker-api.ts';

// The whole worker: errors keep their class across comlink, and the API listens on this worker's
// port, where its events to the page travel too, in order with the replies. A fenced-off worker
// ends itself; its page notices (peer lock) and starts a fresh one. The leader's reader worker
// (worker/reader/) is this same script, started under its own name.
installErrorTransfer();
if (self.name === READER_WORKER_NAME) serveReads(self as unknown as DedicatedWorkerGlobalScope);
else {
  const page = batchedEndpoint(self);
  expose(
    createWorkerApi(
      () => self.close(),
      (event) => page.postMessage({ workerEvent: event } satisfies WorkerEventMessage),
    ),
    page,
  );
}
