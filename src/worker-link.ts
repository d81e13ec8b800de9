import { wrap, type Remote } from 'comlink';
import { installErrorTransfer } from './error-transfer.ts';
import { SqliteError } from './errors.ts';
import { PeerGone, PeerWatch, afterPeerGone } from './liveness.ts';
import { lockService } from './locks.ts';
import { batchedEndpoint } from './message-batch.ts';
import { workerEventOf, type OpenInfo, type Reply, type Request, type WorkerConfig, type WorkerEvent } from './protocol.ts';
import type { WorkerStatus } from './protocol.ts';
import { startWorker, type WorkerSource } from './worker-start.ts';
import type { WorkerApi } from '../worker/worker-api.ts';

/**
 * The page's end of its dedicated worker. Every call races the worker's liveness lock: when the
 * worker is gone (terminated, crashed), a fresh worker is started and calls in flight go by the
 * one rule of liveness.ts (retried with the same request id, or TRANSACTION_ABORTED).
 */

interface Incarnation {
  readonly worker: Worker;
  readonly api: Remote<WorkerApi>;
  readonly watch: PeerWatch;
}

function closedError(): SqliteError {
  return new SqliteError('DATABASE_CLOSED', 'the database was closed before the call was answered');
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
    private readonly source: WorkerSource | undefined,
    private readonly onEvent: (event: WorkerEvent) => void,
    first: Incarnation,
  ) {
    this.current = Promise.resolve(first);
    this.shut = new Promise<never>((_, reject) => {
      this.markShut = () => reject(closedError());
    });
    this.shut.catch(() => undefined);
    if (lockService().kind === 'lease' && typeof window === 'object') window.addEventListener('pagehide', this.sayGoodbye);
  }

  /**
   * Where the locks are leases, the tab going away (closed, reloaded, put in the back/forward
   * cache) says so, so that the others take over its worker's leases at once rather than after
   * they lapse. A page restored from the cache finds its worker ended (it was told goodbye too)
   * and starts a fresh one.
   */
  private readonly sayGoodbye = (): void => {
    lockService().farewell(`${this.config.tabId}~${this.incarnations}`);
  };

  /** Spawns the worker (from `source`, sqlite-baton's own by default) and opens the database in it. */
  static async start(
    config: WorkerConfig,
    source: WorkerSource | undefined,
    onEvent: (event: WorkerEvent) => void,
  ): Promise<{ link: WorkerLink; info: OpenInfo }> {
    installErrorTransfer();
    const { incarnation, info } = await spawn(config, source, `${config.tabId}~0`, onEvent);
    return { link: new WorkerLink(config, source, onEvent, incarnation), info };
  }

  /** `retried`: the page sent it before by another path (its direct link), so it may have reached a leader. */
  call(request: Request, retried = false): Promise<Reply> {
    // From the second attempt on, an earlier one may have reached a leader (worker-api.ts).
    let attempts = retried ? 1 : 0;
    return this.untilAnswered<Reply>((api) => api.call(request, attempts++ > 0), request);
  }

  status(): Promise<WorkerStatus> {
    return this.untilAnswered((api) => api.status());
  }

  /**
   * Runs `call` on the current worker; when that worker dies first, replaces it and asks again,
   * as the liveness rule says for `request` (a status query is always asked again).
   */
  private async untilAnswered<T>(call: (api: Remote<WorkerApi>) => Promise<T>, request?: Request): Promise<T> {
    for (;;) {
      const incarnation = await this.current;
      try {
        return await Promise.race([incarnation.watch.race(call(incarnation.api)), this.shut]);
      } catch (e) {
        if (!(e instanceof PeerGone)) throw e;
        if (this.closed) throw new SqliteError('DATABASE_CLOSED', 'the database was closed');
        const verdict = request && afterPeerGone(request, 'worker');
        if (verdict) throw verdict;
        this.respawn(incarnation);
      }
    }
  }

  /** Closes the database in the worker (engine first, then its locks) and ends the worker. */
  async close(): Promise<void> {
    this.closed = true;
    if (typeof window === 'object') window.removeEventListener('pagehide', this.sayGoodbye);
    const incarnation = await this.current.catch(() => undefined);
    if (!incarnation) return;
    try {
      await incarnation.watch.race(incarnation.api.close());
    } catch {
      // A worker that is already gone has nothing left to close.
    }
    incarnation.worker.terminate();
    this.markShut();
    incarnation.watch.end();
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
    dead.watch.end();
    this.incarnations++;
    this.current = spawn(this.config, this.source, `${this.config.tabId}~${this.incarnations}`, this.onEvent).then((s) => s.incarnation);
  }
}

async function spawn(
  config: WorkerConfig,
  source: WorkerSource | undefined,
  peerId: string,
  onEvent: (event: WorkerEvent) => void,
): Promise<{ incarnation: Incarnation; info: OpenInfo }> {
  const { worker, failed, started } = startWorker(source, `sqlite-baton ${config.name}`);
  const endpoint = batchedEndpoint(worker);
  // Before comlink's listener: a batch that carries an event and then the reply to a call
  // (a commit's change notice goes out before its replies) raises the event before the call's
  // caller resumes.
  endpoint.addEventListener('message', (message) => {
    const event = workerEventOf((message as MessageEvent).data);
    if (event) onEvent(event);
  });
  const api = wrap<WorkerApi>(endpoint);
  let info: OpenInfo;
  try {
    info = await Promise.race([api.open({ ...config, peerId }), failed]);
  } catch (e) {
    worker.terminate();
    throw e;
  }
  started();
  // The worker holds its peer lock from before open() resolved, so the watch cannot fire early.
  const watch = new PeerWatch(config.name, peerId, "this tab's worker went away");
  return { incarnation: { worker, api, watch }, info };
}
