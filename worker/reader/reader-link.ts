import { SqliteError, type ErrorCode } from '../../src/errors.ts';
import type { Reply, Request } from '../../src/protocol.ts';
import type { ReaderFile } from '../engine/engine.ts';
import { READER_WORKER_NAME, type FromReader, type ToReader } from './reader-worker.ts';

/** A read without a queryTimeout of its own (the option's default is 10 s). */
const DEFAULT_QUERY_TIMEOUT_MS = 10_000;
/** How long past a read's queryTimeout a reader that says nothing is taken for dead. */
const DEAD_AFTER_MS = 10_000;

/**
 * The leader's end of its reader worker: started on the first read handed over (an app that never
 * reads for long never pays for a second sqlite-wasm), from this worker's own script, which serves
 * reads when it has the reader's name (worker/entry.ts). A reader that cannot start or dies is
 * given up for the life of this leader; the reads it had are given back, to run on the leader.
 */
export class ReaderLink {
  private worker: Worker | undefined;
  private ready: Promise<boolean> | undefined;
  private failed = false;
  private nextId = 0;
  private readonly pending = new Map<
    number,
    { resolve(reply: Reply): void; reject(error: unknown): void; timer: ReturnType<typeof setTimeout> }
  >();

  constructor(private readonly file: ReaderFile) {}

  /** False once the reader failed: reads stay on the leader from then on. */
  get usable(): boolean {
    return !this.failed;
  }

  /** Runs `request` in the reader on the file of freeze `generation`; rejects ReaderGone if the reader cannot. */
  read(request: Request, generation: number, lastInsertRowid: number | bigint): Promise<Reply> {
    return this.start().then((ok) => {
      if (!ok) throw new ReaderGone();
      const id = ++this.nextId;
      // The reader stops a read at its queryTimeout; silent well past it, the reader is dead
      // (a crashed worker does not always say so).
      const silentFor = (request.queryTimeout ?? DEFAULT_QUERY_TIMEOUT_MS) + DEAD_AFTER_MS;
      return new Promise<Reply>((resolve, reject) => {
        const timer = setTimeout(() => this.fail(), silentFor);
        this.pending.set(id, { resolve, reject, timer });
        this.post({ t: 'read', id, generation, request, lastInsertRowid });
      });
    });
  }

  private start(): Promise<boolean> {
    this.ready ??= new Promise<boolean>((resolve) => {
      let worker: Worker;
      try {
        worker = new Worker(self.location.href, { type: 'module', name: READER_WORKER_NAME });
      } catch {
        this.fail();
        resolve(false);
        return;
      }
      this.worker = worker;
      worker.onmessage = (event: MessageEvent<FromReader>) => {
        const message = event.data;
        switch (message.t) {
          case 'ready':
            resolve(true);
            return;
          case 'failed':
            this.fail();
            resolve(false);
            return;
          case 'reply':
            this.settle(message.id)?.resolve(message.reply);
            return;
          case 'error':
            this.settle(message.id)?.reject(new SqliteError(message.code as ErrorCode, message.message, message.resultCode));
        }
      };
      worker.onerror = (event) => {
        event.preventDefault();
        this.fail();
        resolve(false);
      };
      this.post({ t: 'open', file: this.file });
    });
    return this.ready;
  }

  private settle(id: number) {
    const waiting = this.pending.get(id);
    this.pending.delete(id);
    if (waiting) clearTimeout(waiting.timer);
    return waiting;
  }

  private post(message: ToReader): void {
    this.worker?.postMessage(message);
  }

  private fail(): void {
    if (this.failed) return;
    this.failed = true;
    this.worker?.terminate();
    this.worker = undefined;
    for (const waiting of this.pending.values()) {
      clearTimeout(waiting.timer);
      waiting.reject(new ReaderGone());
    }
    this.pending.clear();
  }

  /** Ends the reader; reads in flight reject with `error`. */
  close(error: Error): void {
    this.failed = true;
    this.worker?.terminate();
    this.worker = undefined;
    for (const waiting of this.pending.values()) {
      clearTimeout(waiting.timer);
      waiting.reject(error);
    }
    this.pending.clear();
  }
}

/** The reader could not run a read (it failed to start or died): the read was not run, and can run on the leader. */
export class ReaderGone extends Error {
  constructor() {
    super('the reader worker is gone');
    this.name = 'ReaderGone';
  }
}
