/**
 * `sqlite-baton/drizzle` against the real drizzle-orm: queries, a join whose tables share column
 * names (checked value by value), relational queries, batch, transactions with nested
 * savepoints, and `migrate` with the migrations drizzle-kit generated (test/fixtures/drizzle).
 */
import { describe, expect, it } from 'vitest';
import { asc, eq, sql, DrizzleQueryError, TransactionRollbackError } from 'drizzle-orm';
import { SqliteError } from 'sqlite-baton';
import { drizzle, migrate } from 'sqlite-baton/drizzle';
import { migrated, migrationFiles, schema, type Orm } from './support/drizzle-fixture.ts';
import { failure, open } from './support/open.ts';

const { person, pet } = schema;

async function seeded(storage: 'opfs' | 'memory'): Promise<Orm> {
  const orm = await migrated(await open({ storage }));
  await orm.insert(person).values([
    { id: 1, name: 'Ada', born: 1815 },
    { id: 2, name: 'Bob', born: null },
  ]);
  await orm.insert(pet).values([
    { id: 10, ownerId: 1, name: 'Rex' },
    { id: 11, ownerId: 2, name: 'Tom' },
    { id: 12, ownerId: 2, name: 'Kit' },
  ]);
  return orm;
}

/** The SqliteError under a Drizzle error (Drizzle wraps a failed query in DrizzleQueryError). */
function sqliteErrorOf(error: unknown): SqliteError | undefined {
  if (error instanceof SqliteError) return error;
  if (error instanceof DrizzleQueryError) return sqliteErrorOf(error.cause);
  return undefined;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
    },
    (e: unknown) => e,
  );
}

describe.each(['opfs', 'memory'] as const)('drizzle on %s', (storage) => {
  it('select, insert, update and delete', async () => {
    const orm = await seeded(storage);
    expect(await orm.select().from(person).orderBy(asc(person.id))).toEqual([
      { id: 1, name: 'Ada', born: 1815 },
      { id: 2, name: 'Bob', born: null },
    ]);
    const inserted = await orm.insert(person).values({ name: 'Cy' }).returning({ id: person.id });
    expect(inserted).toEqual([{ id: 3 }]);
    const updated = await orm.update(person).set({ born: 1990 }).where(eq(person.name, 'Cy'));
    expect(updated).toEqual({ changes: 1, lastInsertRowid: 3 });
    expect(await orm.select({ born: person.born }).from(person).where(eq(person.id, 3)).get()).toEqual({ born: 1990 });
    const deleted = await orm.delete(pet).where(eq(pet.ownerId, 2)).returning();
    expect(deleted.map((p) => p.name).sort()).toEqual(['Kit', 'Tom']);
    expect(await orm.$count(pet)).toBe(1);
  });

  it('a join of two tables that share column names keeps every value in its place', async () => {
    const orm = await seeded(storage);
    const rows = await orm.select().from(person).innerJoin(pet, eq(pet.ownerId, person.id)).orderBy(asc(pet.id));
    expect(rows).toHaveLength(3);
    const expected = [
      { person: { id: 1, name: 'Ada', born: 1815 }, pet: { id: 10, ownerId: 1, name: 'Rex' } },
      { person: { id: 2, name: 'Bob', born: null }, pet: { id: 11, ownerId: 2, name: 'Tom' } },
      { person: { id: 2, name: 'Bob', born: null }, pet: { id: 12, ownerId: 2, name: 'Kit' } },
    ];
    rows.forEach((row, i) => {
      const want = expected[i]!;
      expect(row.person.id).toBe(want.person.id);
      expect(row.person.name).toBe(want.person.name);
      expect(row.person.born).toBe(want.person.born);
      expect(row.pet.id).toBe(want.pet.id);
      expect(row.pet.ownerId).toBe(want.pet.ownerId);
      expect(row.pet.name).toBe(want.pet.name);
    });
    const left = await orm
      .select({ personId: person.id, petId: pet.id, personName: person.name, petName: pet.name })
      .from(person)
      .leftJoin(pet, eq(pet.ownerId, person.id))
      .where(eq(person.id, 1));
    expect(left).toEqual([{ personId: 1, petId: 10, personName: 'Ada', petName: 'Rex' }]);
  });

  it('relational queries: findMany with nested relations, findFirst', async () => {
    const orm = await seeded(storage);
    const people = await orm.query.person.findMany({ with: { pets: { orderBy: asc(pet.id) } }, orderBy: asc(person.id) });
    expect(people).toEqual([
      { id: 1, name: 'Ada', born: 1815, pets: [{ id: 10, ownerId: 1, name: 'Rex' }] },
      {
        id: 2,
        name: 'Bob',
        born: null,
        pets: [
          { id: 11, ownerId: 2, name: 'Tom' },
          { id: 12, ownerId: 2, name: 'Kit' },
        ],
      },
    ]);
    expect(await orm.query.pet.findFirst({ where: eq(pet.id, 12), with: { owner: { columns: { name: true } } } })).toEqual({
      id: 12,
      ownerId: 2,
      name: 'Kit',
      owner: { name: 'Bob' },
    });
    expect(await orm.query.pet.findFirst({ where: eq(pet.id, 99) })).toBeUndefined();
  });

  it('raw SQL: all and get give objects, values gives arrays, run gives changes and lastInsertRowid', async () => {
    const orm = await seeded(storage);
    expect(await orm.all(sql`SELECT id, name FROM person ORDER BY id`)).toEqual([
      { id: 1, name: 'Ada' },
      { id: 2, name: 'Bob' },
    ]);
    expect(await orm.get(sql`SELECT name FROM person WHERE id = ${2}`)).toEqual({ name: 'Bob' });
    expect(await orm.values(sql`SELECT person.id, pet.id FROM person JOIN pet ON pet.owner_id = person.id WHERE pet.id = 10`)).toEqual([
      [1, 10],
    ]);
    expect(await orm.run(sql`INSERT INTO person (name) VALUES (${'Di'})`)).toEqual({ changes: 1, lastInsertRowid: 3 });
  });

  it('batch: every kind of query in one atomic round trip', async () => {
    const orm = await seeded(storage);
    const [inserted, all, first, relational, updated, raw] = await orm.batch([
      orm.insert(person).values({ id: 3, name: 'Cy' }).returning({ id: person.id }),
      orm.select().from(person).innerJoin(pet, eq(pet.ownerId, person.id)).where(eq(pet.id, 10)),
      orm.select({ name: person.name }).from(person).where(eq(person.id, 3)),
      orm.query.person.findFirst({ where: eq(person.id, 2), with: { pets: { columns: { name: true }, orderBy: asc(pet.id) } } }),
      orm.update(person).set({ born: 2000 }).where(eq(person.id, 3)),
      orm.all<{ n: number }>(sql`SELECT count(*) AS n FROM person`),
    ]);
    expect(inserted).toEqual([{ id: 3 }]);
    expect(all).toEqual([{ person: { id: 1, name: 'Ada', born: 1815 }, pet: { id: 10, ownerId: 1, name: 'Rex' } }]);
    expect(first).toEqual([{ name: 'Cy' }]);
    expect(relational).toEqual({ id: 2, name: 'Bob', born: null, pets: [{ name: 'Tom' }, { name: 'Kit' }] });
    expect(updated).toEqual({ changes: 1, lastInsertRowid: 3 });
    expect(raw).toEqual([{ n: 3 }]);

    const error = await rejection(
      orm.batch([orm.insert(person).values({ id: 4, name: 'Eve' }), orm.insert(person).values({ id: 1, name: 'dup' })]),
    );
    expect(sqliteErrorOf(error)?.code).toBe('SQLITE_CONSTRAINT_PRIMARYKEY');
    expect(await orm.$count(person)).toBe(3);
  });

  it('a failed query rejects with DrizzleQueryError whose cause is the SqliteError', async () => {
    const orm = await seeded(storage);
    const error = await rejection(orm.insert(person).values({ id: 1, name: 'again' }));
    expect(error).toBeInstanceOf(DrizzleQueryError);
    expect((error as DrizzleQueryError).cause).toBeInstanceOf(SqliteError);
    expect(sqliteErrorOf(error)?.code).toBe('SQLITE_CONSTRAINT_PRIMARYKEY');
  });

  it('transaction: commits on return, rolls back on throw and on tx.rollback()', async () => {
    const orm = await seeded(storage);
    const value = await orm.transaction(async (tx) => {
      await tx.insert(person).values({ id: 3, name: 'Cy' });
      return tx.$count(person);
    });
    expect(value).toBe(3);
    await expect(
      orm.transaction(async (tx) => {
        await tx.insert(person).values({ id: 4, name: 'thrown' });
        throw new Error('no');
      }),
    ).rejects.toThrow('no');
    const rolledBack = await rejection(
      orm.transaction(async (tx) => {
        await tx.insert(person).values({ id: 5, name: 'rolled back' });
        tx.rollback();
      }),
    );
    expect(rolledBack).toBeInstanceOf(TransactionRollbackError);
    expect((await orm.select({ id: person.id }).from(person)).map((r) => r.id)).toEqual([1, 2, 3]);
  });

  it('nested transactions are savepoints: an inner rollback undoes only the inner work', async () => {
    const orm = await seeded(storage);
    await orm.transaction(async (tx) => {
      await tx.insert(person).values({ id: 3, name: 'outer' });
      await tx.transaction(async (inner) => {
        await inner.insert(person).values({ id: 4, name: 'inner kept' });
        await inner
          .transaction(async (innermost) => {
            await innermost.insert(person).values({ id: 5, name: 'innermost undone' });
            innermost.rollback();
          })
          .catch((e: unknown) => expect(e).toBeInstanceOf(TransactionRollbackError));
      });
      await expect(
        tx.transaction(async (inner) => {
          await inner.insert(person).values({ id: 6, name: 'inner undone' });
          throw new Error('undo');
        }),
      ).rejects.toThrow('undo');
    });
    expect((await orm.select({ id: person.id }).from(person).orderBy(asc(person.id))).map((r) => r.id)).toEqual([1, 2, 3, 4]);
  });

  it('the outer orm inside its own transaction fails with TRANSACTION_DEADLOCK or a LOCK_TIMEOUT that says to use tx', async () => {
    const orm = await migrated(await open({ storage, lockTimeout: 300 }));
    const error = await rejection(
      orm.transaction(async (tx) => {
        await tx.insert(person).values({ id: 1, name: 'in tx' });
        await orm.insert(person).values({ id: 2, name: 'through the outer orm' });
      }),
    );
    const cause = sqliteErrorOf(error);
    expect(cause?.code).toBe('LOCK_TIMEOUT');
    expect(cause?.message).toMatch(/use tx/);
    expect(await orm.$count(person)).toBe(0);
  });
});

describe('drizzle migrate', () => {
  it('applies the drizzle-kit migrations once, records them as Drizzle does, and is a no-op the second time', async () => {
    const db = await open({ storage: 'opfs' });
    const orm = drizzle(db, { schema });
    await migrate(orm, migrationFiles);
    await migrate(orm, migrationFiles);
    const recorded = await db.all<{ hash: string; created_at: number }>(
      'SELECT hash, created_at FROM __drizzle_migrations ORDER BY created_at',
    );
    expect(recorded.map((r) => r.created_at)).toEqual(migrationFiles.journal.entries.map((e) => e.when));
    for (const r of recorded) expect(r.hash).toMatch(/^[0-9a-f]{64}$/);
    const columns = await db.all<{ name: string }>("SELECT name FROM pragma_table_info('person')");
    expect(columns.map((c) => c.name)).toEqual(['id', 'name', 'born']);
    expect(await db.get("SELECT name FROM sqlite_master WHERE type = 'index' AND name = 'pet_owner'")).toEqual({ name: 'pet_owner' });
  });

  it('a failing migration applies nothing of the run', async () => {
    const db = await open({ storage: 'memory' });
    const orm = drizzle(db);
    const broken = {
      journal: { entries: [...migrationFiles.journal.entries, { idx: 2, when: Date.now(), tag: '0002_broken', breakpoints: true }] },
      migrations: {
        ...migrationFiles.migrations,
        '0002_broken.sql': 'CREATE TABLE ok (x);\n--> statement-breakpoint\nCREATE TABLE person (x);',
      },
    };
    expect(sqliteErrorOf(await rejection(migrate(orm, broken)))?.code).toBe('SQLITE_ERROR');
    expect(await db.all("SELECT name FROM sqlite_master WHERE name IN ('person', 'ok', '__drizzle_migrations')")).toEqual([]);
  });

  it('refuses files that are not drizzle-kit output', async () => {
    const orm = drizzle(await open({ storage: 'memory' }));
    expect((await failure(() => migrate(orm, {} as never))).code).toBe('INVALID_ARGUMENT');
    const missing = { journal: migrationFiles.journal, migrations: {} };
    expect((await failure(() => migrate(orm, missing))).message).toMatch(/0000_init/);
  });
});
