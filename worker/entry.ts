import { expose } from 'comlink';
import { installErrorTransfer } from '../src/error-transfer.ts';
import { batchedEndpoint } from '../src/message-batch.ts';
import { createWorkerApi } from './worker-api.ts';

// The whole worker: errors keep their class across comlink, and the API listens on this worker's
// port. A fenced-off worker ends itself; its page notices (peer lock) and starts a fresh one.
installErrorTransfer();
expose(
  createWorkerApi(() => self.close()),
  batchedEndpoint(self),
);
