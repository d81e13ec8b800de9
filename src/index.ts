/**
 * sqlite-baton: a real SQLite database in the browser, shared safely by every tab.
 * One worker in the origin owns the OPFS file and serializes every write; the others forward.
 */
export { openDatabase } from './open-database.ts';
export { deleteDatabase, readDatabaseFile } from './maintenance.ts';
export { Database } from './database.ts';
export { Transaction } from './transaction.ts';
export { SqliteError, type ErrorCode, type LibraryErrorCode } from './errors.ts';
export type { DatabaseOptions } from './options.ts';
export type {
  BatchOptions,
  BatchResult,
  BatchStatement,
  DatabaseEventMap,
  Durability,
  Fallback,
  LeaderChange,
  QueryOptions,
  QueryResult,
  Row,
  RowMode,
  RunResult,
  SqlParams,
  SqlValue,
  Status,
  Storage,
} from './types.ts';
