import type { Database, Sqlite3Static } from '@sqlite.org/sqlite-wasm';

/**
 * SQL's `changes()` and `total_changes()` as SQLite documents them for the user's statements. The
 * library writes rows of its own in the same transaction as a user's write (the request record,
 * its pruning, the epoch), and SQLite counts those too: an UPDATE that matched nothing, then
 * `SELECT changes()`, said 1 (the record's insert). Both functions are replaced on the connection
 * by ones that leave the library's writes out:
 *  - `changes()`: after the library's writes, what it said just before them, until a statement of
 *    the user's completes a change (which moves SQLite's own counters);
 *  - `total_changes()`: SQLite's total less the rows the library changed.
 *
 * How a user statement is told from the library's: SQLite sets its change count when an INSERT,
 * UPDATE or DELETE completes, and adds to its total only when rows changed. The library's writes
 * always end with a one-row insert or upsert, so after them the count is 1 and the total is
 * known; a user statement that changed rows moves the total, one that changed none sets the count
 * to 0. Either way the counters no longer match and SQLite's own answer is given again.
 */

interface Exports {
  sqlite3_changes64(db: number): bigint;
  sqlite3_total_changes64(db: number): bigint;
}

export class ChangeCounts {
  private readonly x: Exports;
  private readonly pointer: number;
  /** Rows inserted, updated or deleted by the library since the connection opened. */
  private libraryTotal = 0;
  /** SQLite's counters just after the library's last writes, and what changes() said before them. */
  private hidden: { changes: number; total: number; value: number } | undefined;

  constructor(sqlite3: Sqlite3Static, db: Database) {
    this.x = sqlite3.wasm.exports as unknown as Exports;
    this.pointer = Number(db.pointer);
    // Innocuous, as SQLite's own are: with trusted_schema=OFF a trigger or view may still call them.
    db.createFunction('changes', () => this.changes(), { arity: 0, innocuous: true });
    db.createFunction('total_changes', () => this.rawTotal() - this.libraryTotal, { arity: 0, innocuous: true });
  }

  /** Runs the library's own writes, which must end with a one-row write (see above). */
  ownWrites<T>(writes: () => T): T {
    const value = this.changes();
    const before = this.rawTotal();
    try {
      return writes();
    } finally {
      const total = this.rawTotal();
      this.libraryTotal += total - before;
      this.hidden = { changes: this.rawChanges(), total, value };
    }
  }

  private changes(): number {
    const hidden = this.hidden;
    if (hidden && this.rawChanges() === hidden.changes && this.rawTotal() === hidden.total) return hidden.value;
    return this.rawChanges();
  }

  private rawChanges(): number {
    return Number(this.x.sqlite3_changes64(this.pointer));
  }

  private rawTotal(): number {
    return Number(this.x.sqlite3_total_changes64(this.pointer));
  }
}
