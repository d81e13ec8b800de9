// The consumer check's page through both ORM adapters on one database: notes written with Kysely
// (sqlite-baton/kysely), read back with Drizzle (sqlite-baton/drizzle). scripts/consumers.ts
// drives it through `data-state` and `window.consumer`.
import { asc } from 'drizzle-orm'
import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core'
import { Kysely, type Generated } from 'kysely'
import { openDatabase } from 'sqlite-baton'
import { drizzle } from 'sqlite-baton/drizzle'
import { BatonDialect } from 'sqlite-baton/kysely'

interface Schema {
  notes: { id: Generated<number>; body: string }
}
const notes = sqliteTable('notes', {
  id: integer('id').primaryKey(),
  body: text('body').notNull(),
})

const app = document.querySelector<HTMLDivElement>('#app')!

try {
  const db = await openDatabase('consumer.db')
  const kysely = new Kysely<Schema>({ dialect: new BatonDialect({ database: db }) })
  const orm = drizzle(db)
  await kysely.schema
    .createTable('notes')
    .ifNotExists()
    .addColumn('id', 'integer', (column) => column.primaryKey())
    .addColumn('body', 'text', (column) => column.notNull())
    .execute()
  Object.assign(window, {
    consumer: {
      add: async (body: string): Promise<void> => {
        await kysely.insertInto('notes').values({ body }).execute()
      },
      bodies: async (): Promise<string[]> =>
        (await orm.select({ body: notes.body }).from(notes).orderBy(asc(notes.id))).map((row) => row.body),
      role: async (): Promise<string> => (await db.status()).role,
    },
  })
  app.textContent = `ready (${db.storage})`
  document.body.dataset.state = 'ready'
} catch (error: unknown) {
  app.textContent = `error: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`
  document.body.dataset.state = 'error'
}
