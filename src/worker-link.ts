import { proxy, wrap, type Remote } from 'comlink';
import { installErrorTransfer } from './error-transfer.ts';
import { SqliteError } from './errors.ts';
import {
  isTransactionStatement,
  type OpenInfo,
  type Reply,
  type Request,
  type Status,
  type WorkerConfig,
  type WorkerEvent,
} from './protocol.ts';
import type { WorkerApi } from '../worker/worker-api.ts';
import { peerLockName, whenReleased } from '../worker/locks.ts';

/**
 * The page's end of its dedicated worker. comlink promises never settle if the worker dies, so
 * every call races the worker's peer lock: when the worker is gone (terminated, crashed), calls
 * in flight are retried on a fresh worker with the same request id, which the leader's request
 * log answers exactly once. Statements of an open transaction are not retried: it was rolled back.
 */

class WorkerGone extends Error {}

interface Incarnation {
  readonly worker: Worker;
  readonly api: Remote<WorkerApi>;
  /** Rejects with WorkerGone when the worker's peer lock is released. */
  readonly gone: Promise<never>;
  readonly stopWatch: AbortController;
}

export class WorkerLink {
  private current: Promise<Incarnation>;
  private incarnations = 0;
  private readonly replaced = new WeakSet<Incarnation>();
  private closed = false;
  /** Rejects DATABASE_CLOSED once the worker has been ended by close(): nothing is left to answer. */
  private readonly shut: Promise<never>;
  private markShut!: () => void;

  private constructor(
    private readonly config: WorkerConfig,
    private readonly onEvent: (event: WorkerEvent) => void,
    first: Incarnation,
  ) {
    this.current = Promise.resolve(first);
    this.shut = new Promise<never>((_, reject) => {
      this.markShut = () => reject(new SqliteError('DATABASE_CLOSED', 'the database was closed before the call was answered'));
    });
    this.shut.catch(() => undefined);
  }

  /** Spawns the worker and opens the database in it. */
  static async start(config: WorkerConfig, onEvent: (event: WorkerEvent) => void): Promise<{ link: WorkerLink; info: OpenInfo }> {
    installErrorTransfer();
    const { incarnation, info } = await spawn(config, `${config.tabId}~0`, onEvent);
    return { link: new WorkerLink(config, onEvent, incarnation), info };
  }

  async call(request: Request): Promise<Reply> {
    for (;;) {
      const incarnation = await this.current;
      try {
        return await Promise.race([incarnation.api.call(request), incarnation.gone, this.shut]);
      } catch (e) {
        if (!(e instanceof WorkerGone)) throw e;
        if (this.closed) throw new SqliteError('DATABASE_CLOSED', 'the database was closed');
        if (isTransactionStatement(request)) {
          throw new SqliteError('TRANSACTION_ABORTED', "this tab's worker died during the transaction; none of it was applied");
        }
        if (Date.now() > request.deadline) throw new SqliteError('LOCK_TIMEOUT', 'the worker died and the lockTimeout has passed');
        this.respawn(incarnation);
      }
    }
  }

  async status(): Promise<Status> {
    for (;;) {
      const incarnation = await this.current;
      try {
        return await Promise.race([incarnation.api.status(), incarnation.gone, this.shut]);
      } catch (e) {
        if (!(e instanceof WorkerGone)) throw e;
        if (this.closed) throw new SqliteError('DATABASE_CLOSED', 'the database was closed');
        this.respawn(incarnation);
      }
    }
  }

  /** Closes the database in the worker (engine first, then its locks) and ends the worker. */
  async close(): Promise<void> {
    this.closed = true;
    const incarnation = await this.current.catch(() => undefined);
    if (!incarnation) return;
    try {
      await Promise.race([incarnation.api.close(), incarnation.gone]);
    } catch {
      // A worker that is already gone has nothing left to close.
    }
    incarnation.stopWatch.abort();
    incarnation.worker.terminate();
    this.markShut();
  }

  /** Ends the worker the hard way, as a crash would; the next call spawns a new one. */
  async terminate(): Promise<void> {
    (await this.current).worker.terminate();
  }

  /**
   * Replaces a dead worker, once: every call in flight sees the death and asks, but a second
   * replacement would be a worker nobody talks to, queueing for the leader lock all the same.
   */
  private respawn(dead: Incarnation): void {
    if (this.replaced.has(dead) || this.closed) return;
    this.replaced.add(dead);
    dead.stopWatch.abort();
    this.incarnations++;
    this.current = spawn(this.config, `${this.config.tabId}~${this.incarnations}`, this.onEvent).then((s) => s.incarnation);
  }
}

async function spawn(
  config: WorkerConfig,
  peerId: string,
  onEvent: (event: WorkerEvent) => void,
): Promise<{ incarnation: Incarnation; info: OpenInfo }> {
  const worker = new Worker(new URL('../worker/entry.ts', import.meta.url), { type: 'module', name: `sqlite-baton ${config.name}` });
  const api = wrap<WorkerApi>(worker);
  const failedToLoad = new Promise<never>((_, reject) => {
    worker.addEventListener('error', (event) => {
      reject(new SqliteError('OPEN_FAILED', `the sqlite-baton worker failed to start: ${event.message || 'script error'}`));
    });
  });
  failedToLoad.catch(() => undefined);
  let info: OpenInfo;
  try {
    info = await Promise.race([api.open({ ...config, peerId }, proxy(onEvent)), failedToLoad]);
  } catch (e) {
    worker.terminate();
    throw e;
  }
  // The worker holds its peer lock from before open() resolved, so the watch cannot fire early.
  const stopWatch = new AbortController();
  const gone = whenReleased(peerLockName(config.name, peerId), stopWatch.signal).then(() => {
    throw new WorkerGone();
  });
  gone.catch(() => undefined);
  return { incarnation: { worker, api, gone, stopWatch }, info };
}
