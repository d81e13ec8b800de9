import type { Reply } from '../src/protocol.ts';
import type { Connection } from './connection.ts';
import { decodeReply, encodeReply } from './reply-codec.ts';

/**
 * The exactly-once record. Every write inserts its request id and its reply in the same SQLite
 * transaction as the write itself, so after a leader change the new leader can tell, from the
 * file alone, whether a retried write already happened and what it answered.
 *
 * A retry can only arrive before the call's deadline, so a record is kept until its deadline has
 * passed by a margin, then pruned.
 */

const KEEP_AFTER_DEADLINE_MS = 5 * 60_000;
const PRUNE_EVERY_MS = 10_000;

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS _baton_requests (id TEXT PRIMARY KEY, reply TEXT, expires INTEGER NOT NULL) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS _baton_requests_expires ON _baton_requests (expires);
  CREATE TABLE IF NOT EXISTS _baton_meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID;
`;

export class RequestLog {
  private lastPrune = 0;

  constructor(private readonly conn: Connection) {}

  /** Creates the tables, bumps and returns the leader epoch. Runs once when a leader opens the file. */
  open(): number {
    this.conn.control('BEGIN IMMEDIATE');
    try {
      this.conn.exec(SCHEMA);
      this.conn.query(
        `INSERT INTO _baton_meta (key, value) VALUES ('epoch', 1)
         ON CONFLICT (key) DO UPDATE SET value = value + 1`,
        undefined,
      );
      const epoch = this.currentEpoch();
      this.conn.control('COMMIT');
      return epoch;
    } catch (e) {
      if (!this.conn.autocommit) this.conn.control('ROLLBACK');
      throw e;
    }
  }

  /**
   * After an import replaced the whole file: put the library's tables back and carry the current
   * epoch over, so the next leader still counts up from here.
   */
  restore(epoch: number): void {
    this.conn.control('BEGIN IMMEDIATE');
    try {
      this.conn.exec(SCHEMA);
      this.conn.query(
        `INSERT INTO _baton_meta (key, value) VALUES ('epoch', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
        [epoch],
      );
      this.conn.control('COMMIT');
    } catch (e) {
      if (!this.conn.autocommit) this.conn.control('ROLLBACK');
      throw e;
    }
  }

  /** The leader epoch stored in the file. */
  currentEpoch(): number {
    return Number(this.conn.query(`SELECT value FROM _baton_meta WHERE key = 'epoch'`, undefined).rows[0]?.value);
  }

  /** The recorded reply of a request, if that request was already applied. */
  find(requestId: string): { reply: Reply } | undefined {
    const row = this.conn.query('SELECT reply FROM _baton_requests WHERE id = ?', [requestId]).rows[0];
    return row ? { reply: decodeReply(row.reply as string | null) } : undefined;
  }

  /** Records a request inside the caller's open transaction. */
  record(requestId: string, reply: Reply, deadline: number): void {
    this.conn.query('INSERT INTO _baton_requests (id, reply, expires) VALUES (?, ?, ?)', [
      requestId,
      encodeReply(reply),
      deadline + KEEP_AFTER_DEADLINE_MS,
    ]);
  }

  /** Drops records no retry can ask for any more; called inside a write transaction, cheaply. */
  prune(now: number): void {
    if (now - this.lastPrune < PRUNE_EVERY_MS) return;
    this.lastPrune = now;
    this.conn.query('DELETE FROM _baton_requests WHERE expires < ?', [now]);
  }
}
