import { CompiledQuery, type DatabaseConnection, type Driver, type TransactionSettings } from 'kysely';
import type { Database } from '../database.ts';
import { invalidArgument } from '../errors.ts';
import { BatonConnection } from './connection.ts';

/** Options of {@link BatonDialect}. */
export interface BatonDialectConfig {
  /** The sqlite-baton database, or a function that opens it (called once, when Kysely first needs it). */
  database: Database | (() => Promise<Database>);
}

function quote(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * Kysely's driver over sqlite-baton. Each acquired connection is a fresh view of the one shared
 * database (nothing to pool: the leader serializes every tab's statements); a Kysely transaction
 * is a sqlite-baton interactive transaction (`db.begin()`), which holds the writer for every tab
 * until it ends, and savepoints are SQL inside it. SQLite has no isolation levels or read-only
 * transactions to choose: Kysely's `TransactionSettings` are ignored, as Kysely's own SQLite
 * driver does.
 */
export class BatonDriver implements Driver {
  private db: Database | undefined;

  constructor(private readonly config: BatonDialectConfig) {}

  async init(): Promise<void> {
    const { database } = this.config;
    this.db = typeof database === 'function' ? await database() : database;
    if (typeof this.db?.query !== 'function' || typeof this.db.begin !== 'function') {
      throw invalidArgument(
        'BatonDialect takes { database }: a sqlite-baton database (await openDatabase(name)) or a function returning one',
      );
    }
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    return new BatonConnection(this.db!);
  }

  async beginTransaction(connection: DatabaseConnection, _settings: TransactionSettings): Promise<void> {
    await (connection as BatonConnection).begin();
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as BatonConnection).end('commit');
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as BatonConnection).end('rollback');
  }

  async savepoint(connection: DatabaseConnection, savepointName: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`savepoint ${quote(savepointName)}`));
  }

  async rollbackToSavepoint(connection: DatabaseConnection, savepointName: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`rollback to ${quote(savepointName)}`));
  }

  async releaseSavepoint(connection: DatabaseConnection, savepointName: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`release ${quote(savepointName)}`));
  }

  async releaseConnection(): Promise<void> {
    // Nothing is held per connection outside a transaction, and a transaction is ended by Kysely first.
  }

  /** Closes the database, as Kysely's own SQLite driver closes its database on `destroy()`. */
  async destroy(): Promise<void> {
    await this.db?.close();
  }
}
