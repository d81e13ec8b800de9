import type { Endpoint } from 'comlink';

/**
 * Messages posted in one turn travel as one. A tab that makes several calls at once (a page
 * rendering several queries, `Promise.all` of writes) and a leader that answers a whole group
 * commit at once would otherwise pay one message each: a structured clone, a thread wake-up and,
 * across tabs, a trip through the browser process. Batches are flushed a couple of microtasks
 * after the first message, so replies resolved together, a promise step or two apart, are caught.
 */

/** The most messages one batch may carry; a receiver drops a larger one as malformed. */
export const MAX_BATCH = 4096;

export class MessageBatch {
  private bodies: unknown[] = [];
  private transfers: Transferable[] = [];

  constructor(private readonly send: (bodies: unknown[], transfer: Transferable[]) => void) {}

  add(body: unknown, transfer: Transferable[] = []): void {
    this.bodies.push(body);
    for (const t of transfer) this.transfers.push(t);
    if (this.bodies.length === 1) queueMicrotask(() => queueMicrotask(() => this.flush()));
    else if (this.bodies.length >= MAX_BATCH) this.flush();
  }

  private flush(): void {
    if (this.bodies.length === 0) return;
    const bodies = this.bodies;
    const transfers = this.transfers;
    this.bodies = [];
    this.transfers = [];
    this.send(bodies, transfers);
  }
}

interface Batch {
  readonly batch: unknown[];
}

function isBatch(data: unknown): data is Batch {
  return typeof data === 'object' && data !== null && Array.isArray((data as Batch).batch) && (data as Batch).batch.length <= MAX_BATCH;
}

/**
 * A comlink endpoint over `target` (a Worker, or a worker's own scope) whose messages travel in
 * batches; both ends must use it. Only for a tab's own worker: messages between tabs go through
 * the validated channels of channels.ts, which batch the same way.
 */
export function batchedEndpoint(target: Endpoint): Endpoint {
  const batch = new MessageBatch((bodies, transfer) => target.postMessage({ batch: bodies }, transfer));
  const listeners = new Map<EventListenerOrEventListenerObject, EventListener>();
  return {
    postMessage(message: unknown, transfer?: Transferable[]) {
      batch.add(message, transfer);
    },
    addEventListener(type: string, listener: EventListenerOrEventListenerObject) {
      const unpack: EventListener = (event) => {
        const data: unknown = (event as MessageEvent).data;
        if (!isBatch(data)) return;
        for (const message of data.batch) {
          const one = { data: message } as MessageEvent;
          if (typeof listener === 'function') listener(one);
          else listener.handleEvent(one);
        }
      };
      listeners.set(listener, unpack);
      target.addEventListener(type, unpack);
    },
    removeEventListener(type: string, listener: EventListenerOrEventListenerObject) {
      const unpack = listeners.get(listener);
      if (!unpack) return;
      listeners.delete(listener);
      target.removeEventListener(type, unpack);
    },
  };
}
