import { SqliteError } from '../../src/errors.ts';
import type { Request } from '../../src/protocol.ts';
import type { Connection } from '../engine/connection.ts';

/**
 * The schema check, where it cannot race: a request says which schema version its tab's code
 * knows (src/migrations/), and the writer refuses it, unapplied, when the database has moved past
 * that version (another tab migrated it). It is asked when the request is about to run, against
 * the committed file, so a request that waited behind a migration is refused once the migration
 * has committed, and one that ran before it was not.
 *
 * The file's version is `PRAGMA user_version`, which the migration run keeps equal to the number
 * of applied migrations; it is read again only after something may have changed it.
 */
export class SchemaGate {
  /** The committed file's version, or undefined when it must be read again. */
  private fileVersion: number | undefined;

  constructor(private readonly conn: Connection) {}

  /** A commit or a request run alone may have changed the version. */
  changed(): void {
    this.fileVersion = undefined;
  }

  /**
   * SCHEMA_CHANGED for a request whose tab knows an older schema than the file's, else undefined.
   * Only asked between transactions: inside one, the connection sees uncommitted changes.
   */
  refusal(request: Request): SqliteError | undefined {
    const known = request.schemaVersion;
    if (known === undefined || !this.conn.autocommit) return undefined;
    this.fileVersion ??= Number(this.conn.query('PRAGMA user_version', undefined).rows[0]?.user_version ?? 0);
    if (known >= this.fileVersion) return undefined;
    return new SqliteError(
      'SCHEMA_CHANGED',
      `another tab migrated the database to schema version ${this.fileVersion}; this tab's code knows version ${known}, ` +
        "so its call was refused and applied nothing: reload the tab (or open with onVersionChange: 'continue')",
    );
  }
}
