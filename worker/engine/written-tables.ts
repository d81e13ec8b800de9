import type { Database, Sqlite3Static } from '@sqlite.org/sqlite-wasm';
import { tableChangeHook, type TableChangeHook } from './table-change-hook.ts';

/**
 * Which tables the open transaction has written, exactly: from SQLite's preupdate hook (one call
 * per row changed, WITHOUT ROWID tables included, which the update hook misses), kept against the
 * transaction's savepoints so that what SQLite undoes is forgotten with it:
 *  - each table is kept with the savepoint depth at which it was first written; RELEASE moves the
 *    tables of the released savepoints to their parent, ROLLBACK TO forgets them;
 *  - a statement that fails is undone by SQLite itself unless its conflict clause keeps rows
 *    (OR FAIL): the tables first written by a statement that changed nothing in the end are forgotten;
 *  - a rollback of the transaction (ROLLBACK, or SQLite ending it: OR ROLLBACK, an I/O error)
 *    forgets everything, through SQLite's rollback hook.
 * What is left at COMMIT is what the commit changed ({@link take}).
 *
 * The hook runs for every row (100,000 calls for a 100,000-row batch), so it stays in wasm and
 * calls into JS only when the table changes (table-change-hook.ts). SQLite passes the table's
 * name as the address of its schema entry, which is stable while the schema is, so names are
 * decoded once per table and kept by address. The cache is dropped whenever the schema may have
 * changed (DDL, ROLLBACK TO, a rollback, a new transaction), since an address may then name
 * another table.
 */

/** SQLite's own tables and the library's (`_baton_requests`, `_baton_meta`) are nobody's change. */
const INTERNAL = /^(?:sqlite_|_baton_)/i;

/** The raw exports used here (sqlite-wasm's wrapper of the preupdate hook decodes both names on every row). */
interface Exports {
  sqlite3_preupdate_hook(db: number, callback: number, context: number): number;
}

export class WrittenTables {
  /** Table -> savepoint depth at which it was first written (0: outside every savepoint). */
  private readonly written = new Map<string, number>();
  /** The open savepoints' names (lower case: SQLite compares them so), outermost first. */
  private readonly savepoints: string[] = [];
  /** Names by the address SQLite gives for them; null for an internal table. */
  private readonly names = new Map<number, string | null>();
  /** Tables first written by the statement now running, in case SQLite undoes that statement. */
  private readonly byStatement: string[] = [];
  /** Calls onTable at the first row of each run of rows of one table; its last table's name is kept (or internal). */
  private readonly filter: TableChangeHook;
  private hook: number;
  private readonly pointer: number;

  constructor(
    private readonly sqlite3: Sqlite3Static,
    db: Database,
  ) {
    const { wasm, capi } = sqlite3;
    this.pointer = Number(db.pointer);
    this.filter = tableChangeHook((table) => this.onTable(table));
    // A wasm function is installed as it is (the signature is for a JS function).
    this.hook = wasm.installFunction(this.filter.hook, 'vppippjj');
    (wasm.exports as unknown as Exports).sqlite3_preupdate_hook(this.pointer, this.hook, 0);
    capi.sqlite3_rollback_hook(
      db,
      () => {
        this.discard();
        return 0;
      },
      0,
    );
  }

  private onTable(table: number): void {
    let name = this.names.get(table);
    if (name === undefined) {
      const decoded = this.sqlite3.wasm.cstrToJs(table) ?? '';
      name = INTERNAL.test(decoded) ? null : decoded;
      this.names.set(table, name);
    }
    if (name === null || this.written.has(name)) return;
    this.written.set(name, this.savepoints.length);
    this.byStatement.push(name);
  }

  /** A statement begins (one of the user's, or a library write). */
  statementStarted(): void {
    this.byStatement.length = 0;
  }

  /** The statement that just failed was undone by SQLite (it changed nothing in the end): forget its tables. */
  statementUndone(): void {
    for (const name of this.byStatement) this.written.delete(name);
    this.byStatement.length = 0;
    this.filter.reset();
  }

  /** A transaction begins: nothing is written yet, and the schema may differ from the last time. */
  begin(): void {
    this.discard();
  }

  savepoint(name: string): void {
    this.savepoints.push(name.toLowerCase());
  }

  /** RELEASE `name`: its tables and those of the savepoints inside it now belong to its parent. */
  release(name: string): void {
    const at = this.savepoints.lastIndexOf(name.toLowerCase());
    if (at < 0) return;
    for (const [table, depth] of this.written) if (depth > at) this.written.set(table, at);
    this.savepoints.length = at;
  }

  /** ROLLBACK TO `name`: what it and the savepoints inside it wrote is undone; `name` stays open. */
  rollbackTo(name: string): void {
    const at = this.savepoints.lastIndexOf(name.toLowerCase());
    if (at < 0) return;
    for (const [table, depth] of this.written) if (depth > at) this.written.delete(table);
    this.savepoints.length = at + 1;
    this.forgetNames();
  }

  /**
   * DDL ran: the tables (or views) it created, dropped or altered count as written, since what
   * a query on them returns changed, and the name cache is dropped.
   */
  schemaChanged(names: Iterable<string>): void {
    for (const name of names) if (!INTERNAL.test(name) && !this.written.has(name)) this.written.set(name, this.savepoints.length);
    this.forgetNames();
  }

  /** The tables the transaction that just committed wrote; the record starts again empty. */
  take(): string[] {
    const tables = [...this.written.keys()];
    this.written.clear();
    this.savepoints.length = 0;
    this.byStatement.length = 0;
    this.filter.reset();
    return tables;
  }

  /** Everything was rolled back. */
  discard(): void {
    this.written.clear();
    this.savepoints.length = 0;
    this.byStatement.length = 0;
    this.forgetNames();
  }

  /** Stops the hook, before the connection closes. */
  close(): void {
    if (this.hook === 0) return;
    (this.sqlite3.wasm.exports as unknown as Exports).sqlite3_preupdate_hook(this.pointer, 0, 0);
    this.sqlite3.wasm.uninstallFunction(this.hook);
    this.hook = 0;
  }

  private forgetNames(): void {
    this.names.clear();
    this.filter.reset();
  }
}
