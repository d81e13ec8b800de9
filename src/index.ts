/**
 * sqlite-baton: a real SQLite database in the browser, shared safely by every tab.
 * One worker in the origin owns the OPFS file and serializes every write; the others forward.
 */
export { openDatabase } from './open-database.ts';
export { deleteDatabase, readDatabaseFile, type MaintenanceOptions } from './maintenance.ts';
// Types only: openDatabase is the way in, db.begin()/db.transaction() the way to a transaction.
export type { Database } from './database.ts';
export type { Transaction } from './transaction.ts';
export type { WorkerSource } from './worker-start.ts';
export { SqliteError, type ErrorCode, type LibraryErrorCode } from './errors.ts';
export { liveQuery, type LiveQuery, type LiveQueryOptions, type LiveState } from './live-query.ts';
export { migrationsFromDrizzleKit, type MigrationJournal, type MigrationSqlFiles } from './migrations/drizzle-kit.ts';
export type { DatabaseOptions } from './options.ts';
export type {
  BatchOptions,
  BatchResult,
  BatchStatement,
  ChangeDetail,
  DatabaseEventMap,
  Durability,
  Fallback,
  FunctionMigration,
  LeaderChange,
  Migration,
  QueryOptions,
  QueryResult,
  Row,
  RowMode,
  RowsDiff,
  RunResult,
  SqlMigration,
  SqlParams,
  SqlValue,
  Status,
  Storage,
  Unwatch,
  WatchListener,
  WatchOptions,
  VersionChange,
} from './types.ts';
