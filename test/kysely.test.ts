/**
 * `sqlite-baton/kysely` against the real kysely: its Migrator, introspection, queries and joins,
 * insertId and affected rows, transactions (callback and controlled), savepoints, streaming.
 */
import { describe, expect, it } from 'vitest';
import { Kysely, sql, type Generated } from 'kysely';
import { Migrator, type Migration, type MigrationProvider } from 'kysely/migration';
import { SqliteError, type Database } from 'sqlite-baton';
import { BatonDialect } from 'sqlite-baton/kysely';
import { failure, open } from './support/open.ts';

interface DB {
  person: { id: Generated<number>; name: string; born: number | null };
  pet: { id: Generated<number>; owner_id: number; name: string };
}

/** Migrations as an app keeps them in code. */
const MIGRATIONS: Record<string, Migration> = {
  '0001_person': {
    async up(db) {
      await db.schema
        .createTable('person')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .execute();
    },
    async down(db) {
      await db.schema.dropTable('person').execute();
    },
  },
  '0002_pet': {
    async up(db) {
      await db.schema
        .createTable('pet')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('owner_id', 'integer', (c) => c.notNull().references('person.id'))
        .addColumn('name', 'text', (c) => c.notNull())
        .execute();
      await db.schema.alterTable('person').addColumn('born', 'integer').execute();
    },
    async down(db) {
      await db.schema.dropTable('pet').execute();
      await db.schema.alterTable('person').dropColumn('born').execute();
    },
  },
};

const provider: MigrationProvider = { getMigrations: async () => MIGRATIONS };

function kyselyOn(db: Database): Kysely<DB> {
  return new Kysely<DB>({ dialect: new BatonDialect({ database: db }) });
}

async function seeded(storage: 'opfs' | 'memory', lockTimeout?: number): Promise<{ db: Database; kysely: Kysely<DB> }> {
  const db = await open(lockTimeout ? { storage, lockTimeout } : { storage });
  const kysely = kyselyOn(db);
  const { error } = await new Migrator({ db: kysely, provider }).migrateToLatest();
  if (error) throw error;
  await kysely
    .insertInto('person')
    .values([
      { id: 1, name: 'Ada', born: 1815 },
      { id: 2, name: 'Bob', born: null },
    ])
    .execute();
  await kysely
    .insertInto('pet')
    .values([
      { id: 10, owner_id: 1, name: 'Rex' },
      { id: 11, owner_id: 2, name: 'Tom' },
    ])
    .execute();
  return { db, kysely };
}

async function names(kysely: Kysely<DB>): Promise<string[]> {
  return (await kysely.selectFrom('person').select('name').orderBy('id').execute()).map((r) => r.name);
}

describe.each(['opfs', 'memory'] as const)('kysely on %s', (storage) => {
  it('Migrator: up to the latest, introspection sees the tables (not the library’s own), down again', async () => {
    const db = await open({ storage });
    const kysely = kyselyOn(db);
    const migrator = new Migrator({ db: kysely, provider });
    const up = await migrator.migrateToLatest();
    expect(up.error).toBeUndefined();
    expect(up.results?.map((r) => [r.migrationName, r.status])).toEqual([
      ['0001_person', 'Success'],
      ['0002_pet', 'Success'],
    ]);
    expect((await migrator.migrateToLatest()).results).toEqual([]);
    const tables = await kysely.introspection.getTables();
    expect(tables.map((t) => t.name).sort()).toEqual(['person', 'pet']);
    const person = tables.find((t) => t.name === 'person')!;
    expect(person.columns.map((c) => [c.name, c.dataType, c.isNullable])).toEqual([
      ['id', 'INTEGER', true],
      ['name', 'TEXT', false],
      ['born', 'INTEGER', true],
    ]);
    const down = await migrator.migrateDown();
    expect(down.results?.map((r) => [r.migrationName, r.direction, r.status])).toEqual([['0002_pet', 'Down', 'Success']]);
    expect((await kysely.introspection.getTables()).map((t) => t.name)).toEqual(['person']);
  });

  it('a failing migration leaves nothing of the run (the run is one transaction)', async () => {
    const db = await open({ storage });
    const kysely = kyselyOn(db);
    const broken: MigrationProvider = {
      getMigrations: async () => ({
        ...MIGRATIONS,
        '0003_broken': {
          async up(trx) {
            await trx.schema.createTable('ok').addColumn('x', 'integer').execute();
            await sql`CREATE TABLE person (x)`.execute(trx);
          },
        },
      }),
    };
    const { error } = await new Migrator({ db: kysely, provider: broken }).migrateToLatest();
    expect((error as SqliteError).code).toBe('SQLITE_ERROR');
    // Neither the good migrations nor the half of the broken one: only Kysely's bookkeeping tables, made before the run.
    expect((await kysely.introspection.getTables()).map((t) => t.name)).toEqual([]);
    const all = await kysely.introspection.getTables({ withInternalKyselyTables: true });
    expect(all.map((t) => t.name).sort()).toEqual(['kysely_migration', 'kysely_migration_lock']);
  });

  it('queries and a join; insertId and affected rows from the same call', async () => {
    const { kysely } = await seeded(storage);
    const inserted = await kysely.insertInto('person').values({ name: 'Cy', born: 1990 }).executeTakeFirstOrThrow();
    expect(inserted.insertId).toBe(3n);
    expect(inserted.numInsertedOrUpdatedRows).toBe(1n);
    const updated = await kysely.updateTable('person').set({ born: 2000 }).where('born', 'is not', null).executeTakeFirstOrThrow();
    expect(updated.numUpdatedRows).toBe(2n);
    const returned = await kysely.insertInto('pet').values({ owner_id: 3, name: 'Ivy' }).returning(['id', 'name']).execute();
    expect(returned).toEqual([{ id: 12, name: 'Ivy' }]);
    const joined = await kysely
      .selectFrom('person')
      .innerJoin('pet', 'pet.owner_id', 'person.id')
      .select(['person.id as personId', 'pet.id as petId', 'person.name as personName', 'pet.name as petName'])
      .orderBy('pet.id')
      .execute();
    expect(joined).toEqual([
      { personId: 1, petId: 10, personName: 'Ada', petName: 'Rex' },
      { personId: 2, petId: 11, personName: 'Bob', petName: 'Tom' },
      { personId: 3, petId: 12, personName: 'Cy', petName: 'Ivy' },
    ]);
    const deleted = await kysely.deleteFrom('pet').where('owner_id', '=', 2).executeTakeFirstOrThrow();
    expect(deleted.numDeletedRows).toBe(1n);
  });

  it('transaction(): commits on return, rolls back on throw', async () => {
    const { kysely } = await seeded(storage);
    await kysely.transaction().execute(async (trx) => {
      await trx.insertInto('person').values({ id: 3, name: 'Cy' }).execute();
    });
    const thrown = new Error('no');
    await expect(
      kysely.transaction().execute(async (trx) => {
        await trx.insertInto('person').values({ id: 4, name: 'Dropped' }).execute();
        throw thrown;
      }),
    ).rejects.toBe(thrown);
    expect(await names(kysely)).toEqual(['Ada', 'Bob', 'Cy']);
  });

  it('a COMMIT that fails rejects with its own error (Kysely’s ROLLBACK after it does not hide it) and applies nothing', async () => {
    const { db, kysely } = await seeded(storage);
    await db.exec('PRAGMA foreign_keys = ON');
    await db.exec('CREATE TABLE tag (pet INTEGER REFERENCES pet (id) DEFERRABLE INITIALLY DEFERRED)');
    const error = await failure(() =>
      kysely.transaction().execute(async (trx) => {
        await sql`INSERT INTO tag VALUES (999)`.execute(trx);
      }),
    );
    expect(error.code).toBe('SQLITE_CONSTRAINT_FOREIGNKEY');
    expect(await db.get('SELECT count(*) AS n FROM tag')).toEqual({ n: 0 });
    await kysely.transaction().execute(async (trx) => {
      await sql`INSERT INTO tag VALUES (10)`.execute(trx);
    });
  });

  it('controlled transaction with savepoints: rollback to one undoes only what followed it', async () => {
    const { kysely } = await seeded(storage);
    const trx = await kysely.startTransaction().execute();
    await trx.insertInto('person').values({ id: 3, name: 'Cy' }).execute();
    const sp = await trx.savepoint('before_di').execute();
    await sp.insertInto('person').values({ id: 4, name: 'Di' }).execute();
    const back = await sp.rollbackToSavepoint('before_di').execute();
    const kept = await back.savepoint('keep_eve').execute();
    await kept.insertInto('person').values({ id: 5, name: 'Eve' }).execute();
    await kept.releaseSavepoint('keep_eve').execute();
    await trx.commit().execute();
    expect(await names(kysely)).toEqual(['Ada', 'Bob', 'Cy', 'Eve']);

    const dropped = await kysely.startTransaction().execute();
    await dropped.insertInto('person').values({ id: 6, name: 'Fay' }).execute();
    await dropped.rollback().execute();
    expect(await names(kysely)).toEqual(['Ada', 'Bob', 'Cy', 'Eve']);
  });

  it('a query outside the transaction waits for its commit, then runs', async () => {
    const { kysely } = await seeded(storage);
    const trx = await kysely.startTransaction().execute();
    await trx.insertInto('person').values({ id: 3, name: 'Cy' }).execute();
    const outside = kysely.selectFrom('person').select('name').where('id', '=', 3).executeTakeFirst();
    await trx.commit().execute();
    expect(await outside).toEqual({ name: 'Cy' });
  });

  it('the outer Kysely awaited inside its own transaction times out (not hangs in a Kysely mutex) with a message that says to use the transaction', async () => {
    const { kysely } = await seeded(storage, 300);
    const error = await failure(() =>
      kysely.transaction().execute(async (trx) => {
        await trx.insertInto('person').values({ id: 3, name: 'Cy' }).execute();
        await kysely.selectFrom('person').selectAll().execute();
      }),
    );
    expect(error.code).toBe('LOCK_TIMEOUT');
    expect(error.message).toMatch(/use tx/);
    expect(await names(kysely)).toEqual(['Ada', 'Bob']);
  });

  it('streams a select in chunks', async () => {
    const { kysely } = await seeded(storage);
    await kysely
      .insertInto('person')
      .values([{ name: 'Cy' }, { name: 'Di' }, { name: 'Eve' }])
      .execute();
    const seen: string[] = [];
    for await (const row of kysely.selectFrom('person').select('name').orderBy('id').stream(2)) seen.push(row.name);
    expect(seen).toEqual(['Ada', 'Bob', 'Cy', 'Di', 'Eve']);
  });

  it('errors are the SqliteError, with its code', async () => {
    const { kysely } = await seeded(storage);
    const error = await failure(() => kysely.insertInto('person').values({ id: 1, name: 'again' }).execute());
    expect(error.code).toBe('SQLITE_CONSTRAINT_PRIMARYKEY');
  });

  it('destroy() closes the database, as Kysely’s own SQLite dialect does', async () => {
    const { db, kysely } = await seeded(storage);
    await kysely.destroy();
    expect((await failure(() => db.get('SELECT 1'))).code).toBe('DATABASE_CLOSED');
  });
});
