import type { Connection } from '../engine/connection.ts';

/**
 * Keeps the database file unchanged while the reader worker reads it. In WAL mode a commit
 * goes to the WAL, and only a checkpoint writes the database file: so a freeze checkpoints
 * everything committed into the file (TRUNCATE: the WAL is emptied), then turns automatic
 * checkpoints off until the thaw. Commits made meanwhile wait in the WAL, where the reader does
 * not look, and reach the file at the first checkpoint after the thaw.
 *
 * Nothing else may write the file during a freeze: the writer holds back every request that runs
 * alone (a PRAGMA such as wal_checkpoint, VACUUM, an import) until the thaw.
 */
export class FileFreeze {
  private frozenAt: number | undefined;
  /** The automatic checkpoint's page count before the freeze, put back at the thaw. */
  private autocheckpoint = 1000;

  constructor(private readonly conn: Connection) {}

  get frozen(): boolean {
    return this.frozenAt !== undefined;
  }

  /** True while frozen with nothing committed since: the file holds every commit. */
  get current(): boolean {
    return this.frozenAt !== undefined && this.frozenAt === this.conn.dataVersion();
  }

  /**
   * Checkpoints and freezes; false when the checkpoint could not complete (then nothing is
   * frozen). Only between statements, outside any transaction.
   */
  freeze(): boolean {
    if (this.frozenAt !== undefined) return this.current;
    const row = this.conn.query('PRAGMA wal_checkpoint(TRUNCATE)', undefined).rows[0];
    if (!row || row.busy !== 0) return false;
    this.autocheckpoint = Number(this.conn.query('PRAGMA wal_autocheckpoint', undefined).rows[0]?.wal_autocheckpoint ?? 1000);
    this.conn.query('PRAGMA wal_autocheckpoint = 0', undefined);
    this.frozenAt = this.conn.dataVersion();
    return true;
  }

  thaw(): void {
    if (this.frozenAt === undefined) return;
    this.frozenAt = undefined;
    this.conn.query(`PRAGMA wal_autocheckpoint = ${this.autocheckpoint}`, undefined);
  }
}
