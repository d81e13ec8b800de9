/**
 * Page side of the ORM multi-tab tests: the real drizzle-orm and kysely over sqlite-baton in a
 * real tab. Tests drive it with `page.evaluate(...)`; it reports outcomes, it decides nothing.
 */
import { Kysely, type Generated } from 'kysely';
import { Migrator, type MigrationProvider } from 'kysely/migration';
import { eq } from 'drizzle-orm';
import { openDatabase, SqliteError, type Database, type Transaction } from 'sqlite-baton';
import { migrate } from 'sqlite-baton/drizzle';
import { BatonDialect } from 'sqlite-baton/kysely';
import { drizzle } from 'sqlite-baton/drizzle';
import { migrationFiles, schema, type Orm } from '../support/drizzle-fixture.ts';

interface KyselyDB {
  person: { id: Generated<number>; name: string; born: number | null };
  note: { id: Generated<number>; body: string };
}

/** A Kysely migration of its own table, beside Drizzle's. */
const kyselyMigrations: MigrationProvider = {
  getMigrations: async () => ({
    '0001_note': {
      async up(db) {
        await db.schema
          .createTable('note')
          .addColumn('id', 'integer', (c) => c.primaryKey())
          .addColumn('body', 'text', (c) => c.notNull())
          .execute();
      },
    },
  }),
};

/** The SqliteError code under an ORM's error (Drizzle wraps a failed query in DrizzleQueryError with a cause). */
function codeOf(error: unknown): string {
  let e: unknown = error;
  for (let depth = 0; depth < 4 && e; depth++) {
    if (e instanceof SqliteError) return e.code;
    e = (e as { cause?: unknown }).cause;
  }
  return `not a SqliteError: ${String(error)}`;
}

let db: Database;
let orm: Orm;
let kysely: Kysely<KyselyDB>;

const ormHarness = {
  async open(name: string, lockTimeout?: number): Promise<string> {
    db = await openDatabase(name, lockTimeout ? { lockTimeout } : undefined);
    orm = drizzle(db, { schema });
    kysely = new Kysely<KyselyDB>({ dialect: new BatonDialect({ database: db }) });
    return (await db.status()).tabId;
  },

  async migrateBoth(): Promise<string[]> {
    const failures: string[] = [];
    await migrate(orm, migrationFiles).catch((e: unknown) => failures.push(`drizzle: ${codeOf(e)}`));
    const { error } = await new Migrator({ db: kysely, provider: kyselyMigrations }).migrateToLatest();
    if (error) failures.push(`kysely: ${codeOf(error)}`);
    return failures;
  },

  /**
   * `count` writes of person rows named `${tab}:drizzle:${i}`: most as single inserts, every
   * fifth in a transaction whose nested savepoint inserts one more row and rolls it back.
   */
  async writeDrizzle(tab: string, count: number): Promise<string[]> {
    const failures: string[] = [];
    for (let i = 0; i < count; i++) {
      const name = `${tab}:drizzle:${i}`;
      try {
        if (i % 5 !== 0) await orm.insert(schema.person).values({ name });
        else {
          await orm.transaction(async (tx) => {
            await tx.insert(schema.person).values({ name });
            await tx
              .transaction(async (nested) => {
                await nested.insert(schema.person).values({ name: `${name}:undone` });
                nested.rollback();
              })
              .catch(() => undefined);
            const [row] = await tx.select().from(schema.person).where(eq(schema.person.name, name));
            if (!row) throw new Error(`${name} not visible in its own transaction`);
          });
        }
      } catch (e) {
        failures.push(`${name}: ${codeOf(e)}`);
      }
    }
    return failures;
  },

  /** `count` writes of person rows named `${tab}:kysely:${i}`, every fifth in a transaction with a savepoint rolled back. */
  async writeKysely(tab: string, count: number): Promise<string[]> {
    const failures: string[] = [];
    for (let i = 0; i < count; i++) {
      const name = `${tab}:kysely:${i}`;
      try {
        if (i % 5 !== 0) await kysely.insertInto('person').values({ name, born: null }).execute();
        else {
          const trx = await kysely.startTransaction().execute();
          try {
            await trx.insertInto('person').values({ name, born: null }).execute();
            const sp = await trx.savepoint('undo').execute();
            await sp
              .insertInto('person')
              .values({ name: `${name}:undone`, born: null })
              .execute();
            await sp.rollbackToSavepoint('undo').execute();
            await trx.insertInto('note').values({ body: name }).execute();
            await trx.commit().execute();
          } catch (e) {
            await trx.rollback().execute();
            throw e;
          }
        }
      } catch (e) {
        failures.push(`${name}: ${codeOf(e)}`);
      }
    }
    return failures;
  },

  names(): Promise<string[]> {
    return orm
      .select({ name: schema.person.name })
      .from(schema.person)
      .then((rows) => rows.map((r) => r.name));
  },

  release: undefined as undefined | (() => void),
  txOutcome: undefined as undefined | string,

  /** An ORM transaction that inserts a row, then waits for `release()` before inserting another. */
  holdTransaction(orm_: 'drizzle' | 'kysely', tab: string): Promise<void> {
    return new Promise<void>((begun) => {
      const gate = new Promise<void>((resolve) => (ormHarness.release = resolve));
      const run =
        orm_ === 'drizzle'
          ? orm.transaction(async (tx) => {
              await tx.insert(schema.person).values({ name: `${tab}:held:1` });
              begun();
              await gate;
              await tx.insert(schema.person).values({ name: `${tab}:held:2` });
            })
          : kysely.transaction().execute(async (trx) => {
              await trx
                .insertInto('person')
                .values({ name: `${tab}:held:1`, born: null })
                .execute();
              begun();
              await gate;
              await trx
                .insertInto('person')
                .values({ name: `${tab}:held:2`, born: null })
                .execute();
            });
      run.then(
        () => (ormHarness.txOutcome = 'committed'),
        (e: unknown) => (ormHarness.txOutcome = codeOf(e)),
      );
    });
  },

  /** Holds the writer with a plain transaction until `releaseWriter()`, so that what other tabs start meanwhile starts together. */
  held: undefined as undefined | Transaction,
  async holdWriter(): Promise<void> {
    ormHarness.held = await db.begin();
  },
  releaseWriter(): Promise<void> {
    return ormHarness.held!.commit();
  },

  migrating: undefined as undefined | Promise<string[]>,
  startMigrating(): void {
    ormHarness.migrating = ormHarness.migrateBoth();
  },

  status: () => db.status(),
  all: (sql: string) => db.all(sql),
};

declare global {
  interface Window {
    __harnessReady?: boolean;
    __harnessError?: string;
    ormHarness: typeof ormHarness;
  }
}

try {
  window.ormHarness = ormHarness;
  window.__harnessReady = true;
} catch (error) {
  window.__harnessError = String(error);
}

export {};
