/**
 * The Drizzle fixture as an app would load it with Vite: the schema, and the migrations
 * drizzle-kit generated (journal + SQL files), handed to `migrate`.
 */
import { drizzle, migrate, type BatonDrizzleDatabase, type MigrationFiles } from 'sqlite-baton/drizzle';
import type { Database } from 'sqlite-baton';
import journal from '../fixtures/drizzle/migrations/meta/_journal.json';
import * as schema from '../fixtures/drizzle/schema.ts';

export { schema };

export const migrationFiles: MigrationFiles = {
  journal,
  migrations: import.meta.glob<string>('../fixtures/drizzle/migrations/*.sql', { query: '?raw', import: 'default', eager: true }),
};

export type Orm = BatonDrizzleDatabase<typeof schema>;

/** Drizzle over `db`, migrated to the fixture's schema. */
export async function migrated(db: Database): Promise<Orm> {
  const orm = drizzle(db, { schema });
  await migrate(orm, migrationFiles);
  return orm;
}
