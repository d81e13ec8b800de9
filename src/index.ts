/**
 * sqlite-baton: a real SQLite database in the browser, shared safely by every tab.
 * One worker in the origin owns the OPFS file and serializes every write; the others forward.
 */
export { openDatabase } from './open-database.ts';
export { deleteDatabase, readDatabaseFile } from './maintenance.ts';
export { Database } from './database.ts';
export { Transaction } from './transaction.ts';
export { SqliteError, type ErrorCode, type LibraryErrorCode } from './errors.ts';
export { migrationsFromDrizzleKit, type MigrationJournal, type MigrationSqlFiles } from './migrations/drizzle-kit.ts';
export type { DatabaseOptions } from './options.ts';
export type {
  BatchOptions,
  BatchResult,
  BatchStatement,
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
  RunResult,
  SqlMigration,
  SqlParams,
  SqlValue,
  Status,
  Storage,
  VersionChange,
} from './types.ts';
