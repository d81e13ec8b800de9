import { expose } from 'comlink';
import { SqliteError } from '../../src/errors.ts';
import { PeerGone, PeerWatch } from '../../src/liveness.ts';
import type { Reply } from '../../src/protocol.ts';
import type { WorkerStatus as Status } from '../../src/protocol.ts';
import type { Engine } from '../engine/engine.ts';
import { exportImage, openImage, restoreInto } from '../engine/image.ts';
import { explainStorageError } from '../engine/quota.ts';
import { RequestLog } from '../writer/request-log.ts';
import { Writer } from '../writer/writer.ts';
import { isAllowedCall, rpcChannelName, rpcEndpoint, type ClosableEndpoint } from '../../src/channels.ts';
import { changeChannelName, changeNotice, type ChangeNotice } from '../../src/change-notice.ts';
import { checkRequest } from './request-check.ts';

/**
 * The leader: owns the engine and the writer, serves its own tab directly and every follower
 * through that follower's RPC channel, and watches each follower's liveness lock so that a dead
 * tab's open transaction is rolled back at once and its channel closed.
 */

/** What a follower may call on the leader; derived from the implementation below. */
export type LeaderApi = ReturnType<Leader['apiFor']>;

const LEADER_METHODS: ReadonlySet<string> = new Set(['execute', 'status', 'cancel']);

function closedInItsTab(): SqliteError {
  return new SqliteError('DATABASE_CLOSED', 'the database was closed in this tab before the call could run');
}

/** Where the leader posts its change notices: the database's change channel, or only its own page (memory). */
export interface ChangePublisher {
  post(notice: ChangeNotice): void;
  close(): void;
}

/** The database's change channel, which every tab's page hears. */
export function changeChannel(db: string): ChangePublisher {
  const channel = new BroadcastChannel(changeChannelName(db));
  return { post: (notice) => channel.postMessage(notice), close: () => channel.close() };
}

/** Every table and view of the database's schema, the library's own left out. */
function schemaNames(engine: Engine): string[] {
  const rows = engine.connection.query(
    "SELECT name FROM sqlite_schema WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE '\\_baton\\_%' ESCAPE '\\'",
    undefined,
  ).rows;
  return rows.map((row) => String(row.name));
}

export class Leader {
  readonly epoch: number;
  private readonly writer: Writer;
  private readonly log: RequestLog;
  private readonly followers = new Map<string, { endpoint: ClosableEndpoint; watch: PeerWatch }>();
  private readonly watchedOwners = new Set<string>();
  private closed = false;

  constructor(
    private readonly db: string,
    readonly selfId: string,
    readonly engine: Engine,
    private readonly changes: ChangePublisher,
  ) {
    const log = new RequestLog(engine.connection);
    this.log = log;
    const epoch = (this.epoch = log.open());
    this.writer = new Writer(
      engine.connection,
      log,
      {
        onTransactionStart: (ownerId) => this.watchOwner(ownerId),
        onCommit: (tables, seq) => changes.post(changeNotice(epoch, seq, tables)),
      },
      epoch,
    );
    // A new leader: pages hear of the new epoch (their live queries read again, since commits of
    // the last leader may have gone unannounced if it died between its COMMIT and its notice).
    changes.post(changeNotice(epoch, 0, []));
  }

  /** Runs one request for `callerId` (a tab id). The request is checked: followers are not trusted. */
  execute(callerId: string, request: unknown): Promise<Reply> {
    try {
      checkRequest(request);
    } catch (e) {
      return Promise.reject(e);
    }
    let reply: Promise<Reply>;
    if (request.op === 'export' && request.txId === undefined) reply = this.writer.exclusive(callerId, request, () => this.exportImage());
    else if (request.op === 'import' && request.txId === undefined) {
      const image = request.image;
      reply = this.writer.exclusive(callerId, request, () => this.importImage(image));
    } else reply = this.writer.submit(callerId, request);
    return reply.catch(explainStorageError);
  }

  /** The database as a plain SQLite file; if SQLite cannot read it, the file as stored. */
  private exportImage(): Uint8Array {
    try {
      return exportImage(this.engine.connection);
    } catch (e) {
      if (this.engine.rawBytes) return this.engine.rawBytes();
      throw e;
    }
  }

  /** Replaces the whole database with a checked image, atomically. */
  private importImage(image: Uint8Array): undefined {
    const source = openImage(this.engine.connection.sqlite3, image);
    const before = schemaNames(this.engine);
    try {
      restoreInto(this.engine.connection, source);
    } finally {
      source.close();
    }
    this.log.restore(this.epoch);
    // Every table changed: those of the old database and those of the new one.
    this.writer.announce([...new Set([...before, ...schemaNames(this.engine)])]);
    return undefined;
  }

  /** The epoch written in the file now; it moves only if another leader opened the file. */
  epochInFile(): number {
    return this.log.currentEpoch();
  }

  status(): Status {
    return {
      role: 'leader',
      storage: this.engine.storage,
      tabId: this.selfId,
      leaderId: this.selfId,
      epoch: this.epoch,
      queueDepth: this.writer.depth,
      inTransaction: this.writer.inTransaction,
      commits: this.writer.commits,
      committedWrites: this.writer.committedWrites,
    };
  }

  /** The API one follower sees: its identity comes from its channel, not from its messages. */
  apiFor(followerId: string) {
    return {
      execute: (request: unknown) => this.execute(followerId, request),
      status: () => this.status(),
      /** The follower is closing: its waiting requests will never be wanted. */
      cancel: () => this.writer.cancel(followerId, closedInItsTab()),
    };
  }

  /** Opens (once) the RPC channel of a follower that said hello, and watches that follower. */
  connectFollower(followerId: string): void {
    if (this.closed || this.followers.has(followerId) || followerId === this.selfId) return;
    const endpoint = rpcEndpoint(rpcChannelName(this.db, followerId), this.selfId, followerId, this.epoch, (body) =>
      isAllowedCall(body, LEADER_METHODS),
    );
    expose(this.apiFor(followerId), endpoint);
    const watch = new PeerWatch(this.db, followerId, 'the follower went away');
    this.followers.set(followerId, { endpoint, watch });
    watch.gone.catch(() => this.followerDied(followerId));
  }

  /**
   * Steps down: waiting requests are answered PeerGone (they were not applied, so their callers
   * retry at the next leader), an open transaction is rolled back, the file is closed.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.writer.close(new PeerGone('the leader stepped down'));
    for (const { endpoint, watch } of this.followers.values()) {
      watch.end();
      endpoint.close();
    }
    this.followers.clear();
    this.changes.close();
    this.engine.close();
  }

  private followerDied(followerId: string): void {
    if (this.closed) return;
    this.writer.abortTransaction(followerId);
    this.followers.get(followerId)?.endpoint.close();
    this.followers.delete(followerId);
  }

  /** A transaction owner that dies must not hold the writer: roll back as soon as its lock is free. */
  private watchOwner(ownerId: string): void {
    if (ownerId === this.selfId || this.watchedOwners.has(ownerId)) return;
    this.watchedOwners.add(ownerId);
    new PeerWatch(this.db, ownerId, 'the transaction owner went away').gone.catch(() => {
      this.watchedOwners.delete(ownerId);
      if (!this.closed) this.writer.abortTransaction(ownerId);
    });
  }
}
