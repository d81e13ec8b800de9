import { SqliteError } from '../../src/errors.ts';
import type { Reply, Request } from '../../src/protocol.ts';
import type { Connection } from '../engine/connection.ts';
import type { ReaderFile } from '../engine/engine.ts';
import { interrupted } from '../engine/sql-guards.ts';
import { FileFreeze } from './file-freeze.ts';
import { ReaderLink } from './reader-link.ts';

/**
 * Long reads served beside the writer. One connection serves every tab, and a statement holds
 * the leader's thread until it returns: a 3-second read made every other tab's writes wait 3 s.
 * So a read that is still running after {@link HANDOFF_AFTER_MS} on the leader is stopped (a
 * read stopped by SQLite's progress handler has changed nothing) and handed to the reader worker,
 * which runs it on its own thread, on the database file frozen as it is now (file-freeze.ts):
 * it sees every commit made before it was handed over and none after, a consistent snapshot;
 * the leader goes on committing into the WAL meanwhile.
 *
 * What exists on the leader's connection only, its TEMP schema and the pragmas a user set there
 * (`case_sensitive_like`, ...), the reader cannot see: while there is one, reads stay on the leader.
 *
 * One freeze at a time: while the reader reads, another long read is handed over
 * only if nothing was committed since the freeze (it would not see that commit); otherwise it
 * runs on the leader, as every read did before. Reads of an interactive transaction never move:
 * they must see its uncommitted rows.
 */

const SQLITE_INTERRUPT = 9;

/** How long a read runs on the leader before it is handed to the reader. */
export const HANDOFF_AFTER_MS = 100;

let handoffAllowed = true;

/**
 * Bench-only: every read of this worker's leader runs on its own connection, as before the reader
 * existed (bench/baseline-worker.ts, for the "before" figures in the same run). The library never
 * calls it.
 */
export function keepReadsOnLeader(): void {
  handoffAllowed = false;
}

/** What the reader answers exactly as the leader would (a read's rowid is the leader's, passed along). */
const HANDED_OPS: ReadonlySet<string> = new Set(['get', 'all', 'query', 'batch', 'run']);

export class ReadHandoff {
  private readonly freeze: FileFreeze;
  private readonly reader: ReaderLink;
  private generation = 0;
  private inFlight = 0;

  constructor(
    private readonly conn: Connection,
    file: ReaderFile,
    /** The file thawed: requests that run alone may run again. */
    private readonly thawed: () => void,
  ) {
    this.freeze = new FileFreeze(conn);
    this.reader = new ReaderLink(file);
  }

  /** While frozen, nothing may write the database file: the writer holds back what runs alone. */
  get frozen(): boolean {
    return this.freeze.frozen;
  }

  /** Whether `request`, a read about to start on the leader, could be handed over if it runs long. */
  accepts(request: Request): boolean {
    return (
      handoffAllowed &&
      this.reader.usable &&
      request.txId === undefined &&
      HANDED_OPS.has(request.op) &&
      (!this.freeze.frozen || this.freeze.current)
    );
  }

  /**
   * Hands `request` to the reader, with what is left of its queryTimeout after `ranMs` on the
   * leader. Undefined when it cannot now (it must then run on the leader). Called between
   * statements, outside any transaction. Rejects with ReaderGone if the reader fails.
   */
  run(request: Request, ranMs: number): Promise<Reply> | undefined {
    // TEMP tables, views and triggers, and pragmas set by a user, live in the leader's connection only.
    if (!this.accepts(request) || this.conn.readSettingsChanged || this.conn.hasTempSchema()) return undefined;
    if (!this.freeze.frozen) {
      if (!this.freeze.freeze()) return undefined;
      this.generation++;
    }
    this.inFlight++;
    const left = request.queryTimeout === undefined ? undefined : Math.max(1, request.queryTimeout - ranMs);
    const handed = { ...request, queryTimeout: left } as Request;
    const reply = this.reader.read(handed, this.generation, this.conn.lastInsertRowid).catch((e: unknown) => {
      // The reader had what was left of the queryTimeout; the caller set the whole of it.
      if (e instanceof SqliteError && e.code === 'INTERRUPTED') throw interrupted(request.queryTimeout, e.resultCode ?? SQLITE_INTERRUPT);
      throw e;
    });
    void reply.then(
      () => this.settled(),
      () => this.settled(),
    );
    return reply;
  }

  private settled(): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
    if (this.inFlight > 0 || !this.freeze.frozen) return;
    this.freeze.thaw();
    this.thawed();
  }

  /** The leader stops: the reader ends, reads in flight reject with `error`. */
  close(error: Error): void {
    this.reader.close(error);
  }
}
