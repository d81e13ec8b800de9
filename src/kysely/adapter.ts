import { SqliteAdapter } from 'kysely';

/**
 * Kysely's SQLite adapter, told what sqlite-baton changes:
 * - connections: Kysely's SQLite adapter allows one, and queues every other query of the Kysely
 *   instance behind an open transaction in a mutex of its own, with no time limit. Here each
 *   connection is a view of the shared database; a query outside a transaction goes to the
 *   writer, which makes it wait (lockTimeout bounded, with the reason when it is this tab's
 *   transaction) like a call from any tab.
 * - transactional DDL: SQLite has it. Kysely's `Migrator` then runs the pending migrations and
 *   their bookkeeping in one transaction, which holds the writer for every tab: two tabs that
 *   migrate at once apply each migration once, and a failing one leaves nothing half done.
 */
export class BatonAdapter extends SqliteAdapter {
  override get supportsMultipleConnections(): boolean {
    return true;
  }

  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}
