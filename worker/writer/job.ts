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

  constructor(
    readonly callerId: string,
    readonly request: Request,
    readonly resolve: (reply: Reply) => void,
    readonly reject: (error: unknown) => void,
    /** Set for work that is not a statement (import, export). */
    readonly work?: () => Reply,
  ) {
    this.alone = work !== undefined || isStandalone(request);
  }

  readsOnly(conn: Connection): boolean {
    this.read ??= isRead(conn, this.request);
    return this.read;
  }
}
