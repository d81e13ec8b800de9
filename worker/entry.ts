import { expose } from 'comlink';
import { installErrorTransfer } from '../src/error-transfer.ts';
import { createWorkerApi } from './worker-api.ts';

// The whole worker: errors keep their class across comlink, and the API listens on this worker's port.
installErrorTransfer();
expose(createWorkerApi());
