import type { Reply, Request } from '../../src/protocol.ts';
import type { Connection } from '../engine/connection.ts';
import { isRead, isStandalone } from './apply.ts';

/** One request waiting for the writer, with what the writer needs to know of it, asked once. */
export class Job {
  /** Must run alone, outside any transaction: its own work (import, export), a PRAGMA or a VACUUM. */
  readonly alone: boolean;
  /** Whether the request only reads; asked of SQLite when first needed (the schema may change before). */
  private read: boolean | undefined;
  /** A read that ran too long on the leader: it goes to the reader worker (read-handoff.ts). */
  long = false;
  /** A read that runs on the leader to its end: the reader could not take it. */
  stayOnLeader = false;

  /** Who waits for the answer: the caller, and any copy of the request that joined it (see `join`). */
  private readonly waiters: Array<{ resolve(reply: Reply): void; reject(error: unknown): void }>;

  constructor(
    readonly callerId: string,
    readonly request: Request,
    resolve: (reply: Reply) => void,
    reject: (error: unknown) => void,
    /** Set for work that is not a statement (import, export). */
    readonly work?: () => Reply,
  ) {
    this.alone = work !== undefined || isStandalone(request);
    this.waiters = [{ resolve, reject }];
  }

  resolve(reply: Reply): void {
    for (const waiter of this.waiters) waiter.resolve(reply);
  }

  reject(error: unknown): void {
    for (const waiter of this.waiters) waiter.reject(error);
  }

  /** The same request sent again while this one waits: answered when this one is, never run twice. */
  join(): Promise<Reply> {
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  readsOnly(conn: Connection): boolean {
    this.read ??= isRead(conn, this.request);
    return this.read;
  }
}
