/**
 * `sqlite-baton/kysely`: a Kysely dialect over a sqlite-baton database.
 *
 * @example
 * import { Kysely } from 'kysely';
 * import { openDatabase } from 'sqlite-baton';
 * import { BatonDialect } from 'sqlite-baton/kysely';
 *
 * const kysely = new Kysely<DB>({ dialect: new BatonDialect({ database: await openDatabase('app.db') }) });
 */
import {
  SqliteQueryCompiler,
  type DatabaseIntrospector,
  type DialectAdapter,
  type Dialect,
  type Driver,
  type Kysely,
  type QueryCompiler,
} from 'kysely';
import { BatonAdapter } from './adapter.ts';
import { BatonDriver, type BatonDialectConfig } from './driver.ts';
import { BatonIntrospector } from './introspector.ts';

export type { BatonDialectConfig } from './driver.ts';
export { BatonDriver } from './driver.ts';

/**
 * Kysely on sqlite-baton: Kysely's SQLite query compiler, its SQLite adapter with the changes of
 * adapter.ts, a driver whose queries are sqlite-baton `query` calls and whose transactions and
 * savepoints are sqlite-baton interactive transactions, and SQLite introspection. Kysely's
 * `Migrator` works as is, safely from several tabs at once (adapter.ts says why).
 */
export class BatonDialect implements Dialect {
  constructor(private readonly config: BatonDialectConfig) {}

  createDriver(): Driver {
    return new BatonDriver(this.config);
  }

  createQueryCompiler(): QueryCompiler {
    return new SqliteQueryCompiler();
  }

  createAdapter(): DialectAdapter {
    return new BatonAdapter();
  }

  createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new BatonIntrospector(db);
  }
}
