/**
 * `sqlite-baton/drizzle`: Drizzle ORM's SQLite API over a sqlite-baton database.
 *
 * @example
 * import { openDatabase } from 'sqlite-baton';
 * import { drizzle, migrate } from 'sqlite-baton/drizzle';
 * import * as schema from './schema';
 *
 * const orm = drizzle(await openDatabase('app.db'), { schema });
 * const people = await orm.query.person.findMany({ with: { pets: true } });
 */
import type { BatchItem, BatchResponse } from 'drizzle-orm/batch';
import {
  createTableRelationsHelpers,
  DefaultLogger,
  entityKind,
  extractTablesRelationalConfig,
  NoopLogger,
  type Casing,
  type ExtractTablesWithRelations,
  type Logger,
  type RelationalSchemaConfig,
} from 'drizzle-orm';
import { BaseSQLiteDatabase, SQLiteAsyncDialect } from 'drizzle-orm/sqlite-core';
import type { Database } from '../database.ts';
import { invalidArgument } from '../errors.ts';
import type { RunResult } from '../types.ts';
import { applyMigrations, type MigrationFiles } from './migrate.ts';
import { BatonDrizzleTransaction, BatonSession } from './session.ts';

export type { MigrationFiles, MigrationJournal } from './migrate.ts';
export { BatonDrizzleTransaction } from './session.ts';

/** Options of {@link drizzle}: Drizzle's own (`schema` for relational queries, `logger`, `casing`). */
export interface BatonDrizzleConfig<TSchema extends Record<string, unknown> = Record<string, never>> {
  /** Your tables and relations (`import * as schema from './schema'`): enables `orm.query.<table>`. */
  schema?: TSchema;
  /** `true` for Drizzle's console logger, or your own `{ logQuery(sql, params) }`. */
  logger?: boolean | Logger;
  casing?: Casing;
}

/** A Drizzle SQLite database over sqlite-baton: async, `run()` results are `{ changes, lastInsertRowid }`. */
export class BatonDrizzleDatabase<TSchema extends Record<string, unknown> = Record<string, never>> extends BaseSQLiteDatabase<
  'async',
  RunResult,
  TSchema
> {
  static override readonly [entityKind]: string = 'BatonDrizzleDatabase';

  /** @internal */
  constructor(
    /** The sqlite-baton database underneath. */
    readonly $client: Database,
    /** @internal */
    readonly batonDialect: SQLiteAsyncDialect,
    /** @internal */
    readonly batonSession: BatonSession<TSchema, ExtractTablesWithRelations<TSchema>>,
    schema: RelationalSchemaConfig<ExtractTablesWithRelations<TSchema>> | undefined,
  ) {
    super('async', batonDialect, batonSession, schema);
  }

  /** Runs the queries in one sqlite-baton batch: one round trip, all applied or none. */
  async batch<U extends BatchItem<'sqlite'>, T extends Readonly<[U, ...U[]]>>(batch: T): Promise<BatchResponse<T>> {
    return (await this.batonSession.batch(batch)) as BatchResponse<T>;
  }
}

/**
 * Drizzle over `db`. Transactions (`orm.transaction(async (tx) => ...)`) are sqlite-baton
 * interactive transactions: they hold the writer for every tab, and `tx.transaction(...)` nests
 * as a savepoint. Query errors are Drizzle's `DrizzleQueryError`, whose `cause` is the
 * `SqliteError` (with its `code`).
 */
export function drizzle<TSchema extends Record<string, unknown> = Record<string, never>>(
  db: Database,
  config: BatonDrizzleConfig<TSchema> = {},
): BatonDrizzleDatabase<TSchema> {
  if (typeof db?.query !== 'function' || typeof db.begin !== 'function') {
    throw invalidArgument('drizzle takes a sqlite-baton database: drizzle(await openDatabase(name), { schema })');
  }
  const dialect = new SQLiteAsyncDialect(config.casing ? { casing: config.casing } : undefined);
  const logger = config.logger === true ? new DefaultLogger() : config.logger || new NoopLogger();
  let schema: RelationalSchemaConfig<ExtractTablesWithRelations<TSchema>> | undefined;
  if (config.schema) {
    const tables = extractTablesRelationalConfig(config.schema, createTableRelationsHelpers);
    schema = {
      fullSchema: config.schema,
      schema: tables.tables as ExtractTablesWithRelations<TSchema>,
      tableNamesMap: tables.tableNamesMap,
    };
  }
  const session = new BatonSession<TSchema, ExtractTablesWithRelations<TSchema>>(db, dialect, schema, { logger });
  return new BatonDrizzleDatabase(db, dialect, session, schema);
}

/**
 * Applies the migrations drizzle-kit generated that the database has not seen, in one
 * transaction (all or none), recording them in `__drizzle_migrations` as Drizzle's own migrators
 * do. Safe to run from every tab at start-up: the check and the changes are one transaction, so
 * tabs take turns and each migration applies once.
 */
export function migrate<TSchema extends Record<string, unknown>>(orm: BatonDrizzleDatabase<TSchema>, files: MigrationFiles): Promise<void> {
  return applyMigrations(orm.$client, files);
}
