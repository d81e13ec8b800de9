/**
 * The result types the adapters give are what the ORMs promise (and what `db.query` / `batch`
 * promise). `expectTypeOf` is checked by `tsc --noEmit` (part of `npm test`); the queries also
 * run, so each value is checked against its type at run time too.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import { eq, sql } from 'drizzle-orm';
import type { SQLiteTransaction } from 'drizzle-orm/sqlite-core';
import { Kysely, type DeleteResult, type Generated, type InsertResult, type Selectable, type UpdateResult } from 'kysely';
import type { BatchResult, QueryResult, Row, RunResult, SqlValue } from 'sqlite-baton';
import { BatonDialect } from 'sqlite-baton/kysely';
import { migrated, schema } from './support/drizzle-fixture.ts';
import { open } from './support/open.ts';

const { person, pet } = schema;

type Person = { id: number; name: string; born: number | null };
type Pet = { id: number; ownerId: number; name: string };

describe('result types', () => {
  it('db.query and batch', async () => {
    const db = await open({ storage: 'memory' });
    const arrays = await db.query('SELECT 1 AS a, 2 AS a');
    expectTypeOf(arrays).toEqualTypeOf<QueryResult<SqlValue[]>>();
    expectTypeOf(arrays.columns).toEqualTypeOf<string[]>();
    expect(arrays.rows).toEqual([[1, 2]]);
    const objects = await db.query<{ a: number }>('SELECT 1 AS a', [], { rowMode: 'object' });
    expectTypeOf(objects).toEqualTypeOf<QueryResult<{ a: number }>>();
    expectTypeOf(await db.query('SELECT 1', [], { rowMode: 'object' })).toEqualTypeOf<QueryResult<Row>>();
    expectTypeOf(await db.batch([{ sql: 'SELECT 1' }])).toEqualTypeOf<BatchResult[]>();
    expectTypeOf(await db.batch([{ sql: 'SELECT 1' }], { rowMode: 'array' })).toEqualTypeOf<QueryResult[]>();
    expectTypeOf(await db.batch([{ sql: 'SELECT 1' }], { rowMode: 'object' })).toEqualTypeOf<QueryResult<Row>[]>();
    const tx = await db.begin();
    expectTypeOf(await tx.query('SELECT 1')).toEqualTypeOf<QueryResult<SqlValue[]>>();
    expectTypeOf(tx.commit()).toEqualTypeOf<Promise<void>>();
    await tx.commit();
  });

  it('drizzle: selects, joins, relational queries, run results, batch, transaction', async () => {
    const orm = await migrated(await open({ storage: 'memory' }));
    await orm.insert(person).values({ id: 1, name: 'Ada', born: 1815 });
    await orm.insert(pet).values({ id: 10, ownerId: 1, name: 'Rex' });

    const people = await orm.select().from(person);
    expectTypeOf(people).toEqualTypeOf<Person[]>();
    expect(people).toEqual([{ id: 1, name: 'Ada', born: 1815 }]);

    const joined = await orm.select().from(person).innerJoin(pet, eq(pet.ownerId, person.id));
    expectTypeOf(joined).toEqualTypeOf<{ person: Person; pet: Pet }[]>();
    const left = await orm.select().from(person).leftJoin(pet, eq(pet.ownerId, person.id));
    expectTypeOf(left).toEqualTypeOf<{ person: Person; pet: Pet | null }[]>();

    const withPets = await orm.query.person.findMany({ with: { pets: true } });
    expectTypeOf(withPets).toEqualTypeOf<{ id: number; name: string; born: number | null; pets: Pet[] }[]>();
    expect(withPets).toEqual([{ id: 1, name: 'Ada', born: 1815, pets: [{ id: 10, ownerId: 1, name: 'Rex' }] }]);
    const one = await orm.query.pet.findFirst({ with: { owner: true } });
    expectTypeOf(one).toEqualTypeOf<{ id: number; ownerId: number; name: string; owner: Person } | undefined>();

    const ran = await orm.update(person).set({ born: 1816 });
    expectTypeOf(ran).toEqualTypeOf<RunResult>();
    expect(ran).toEqual({ changes: 1, lastInsertRowid: 10 });
    expectTypeOf(await orm.run(sql`SELECT 1`)).toEqualTypeOf<RunResult>();
    expectTypeOf(await orm.insert(person).values({ name: 'Bob' }).returning({ id: person.id })).toEqualTypeOf<{ id: number }[]>();

    const [selected, updated] = await orm.batch([orm.select({ name: person.name }).from(person), orm.delete(pet)]);
    expectTypeOf(selected).toEqualTypeOf<{ name: string }[]>();
    expectTypeOf(updated).toEqualTypeOf<RunResult>();

    const value = await orm.transaction(async (tx) => {
      expectTypeOf(tx).toExtend<SQLiteTransaction<'async', RunResult, typeof schema, any>>();
      return tx.transaction(async (nested) => (await nested.select({ id: person.id }).from(person)).length);
    });
    expectTypeOf(value).toEqualTypeOf<number>();
  });

  it('kysely: rows, insert/update/delete results', async () => {
    interface DB {
      person: { id: Generated<number>; name: string; born: number | null };
    }
    const kysely = new Kysely<DB>({ dialect: new BatonDialect({ database: await open({ storage: 'memory' }) }) });
    await kysely.schema
      .createTable('person')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('name', 'text')
      .addColumn('born', 'integer')
      .execute();
    const inserted = await kysely.insertInto('person').values({ name: 'Ada', born: null }).executeTakeFirstOrThrow();
    expectTypeOf(inserted).toEqualTypeOf<InsertResult>();
    expectTypeOf(inserted.insertId).toEqualTypeOf<bigint | undefined>();
    expect(inserted.insertId).toBe(1n);
    const rows = await kysely.selectFrom('person').selectAll().execute();
    expectTypeOf(rows).toEqualTypeOf<Selectable<DB['person']>[]>();
    expectTypeOf(rows).toEqualTypeOf<{ id: number; name: string; born: number | null }[]>();
    expect(rows).toEqual([{ id: 1, name: 'Ada', born: null }]);
    const updated = await kysely.updateTable('person').set({ born: 1815 }).executeTakeFirstOrThrow();
    expectTypeOf(updated).toEqualTypeOf<UpdateResult>();
    expect(updated.numUpdatedRows).toBe(1n);
    const deleted = await kysely.deleteFrom('person').executeTakeFirstOrThrow();
    expectTypeOf(deleted).toEqualTypeOf<DeleteResult>();
    expect(deleted.numDeletedRows).toBe(1n);
    await kysely.destroy();
  });
});
