import type { Database } from '../database.ts';
import { invalidArgument } from '../errors.ts';
import { readDrizzleKit, type MigrationJournal, type MigrationSqlFiles } from '../migrations/drizzle-kit.ts';
import { sha256Hex } from '../migrations/sha256.ts';

export type { MigrationJournal };

/**
 * Drizzle's migrations in a browser, where there is no folder to read: the journal and the SQL
 * files drizzle-kit wrote, handed over by the app's bundler. They are recorded in
 * `__drizzle_migrations` as Drizzle's migrators record them (the file's SHA-256 and the journal's
 * `when`), so drizzle-kit and Drizzle's other migrators see the same history. Unlike Drizzle's
 * SQLite migrator, which reads the last migration before its transaction begins, the check runs
 * inside the transaction: it holds the writer for every tab, so two tabs that migrate at once
 * apply each migration once, the second finding it recorded.
 */

/**
 * The migrations drizzle-kit generated. `migrations` maps each migration to its SQL text (or a
 * module whose `default` is the text), keyed by file path or name (`'./drizzle/0000_init.sql'`,
 * `'0000_init.sql'`, `'0000_init'`, as `import.meta.glob` gives them) or by drizzle-kit's bundled
 * form (`m0000`).
 *
 * @example
 * // Vite: the files drizzle-kit generated into ./drizzle
 * import journal from './drizzle/meta/_journal.json';
 * const migrations = import.meta.glob<string>('./drizzle/*.sql', { query: '?raw', import: 'default', eager: true });
 * await migrate(orm, { journal, migrations });
 */
export interface MigrationFiles {
  journal: MigrationJournal;
  migrations: MigrationSqlFiles;
  /** Defaults to Drizzle's `__drizzle_migrations`. */
  migrationsTable?: string;
}

/** SHA-256 of the file as Drizzle's own migrator records it, where the context has Web Crypto. */
async function hashOf(text: string): Promise<string> {
  return (await sha256Hex(text)) ?? '';
}

/** One migration: its statements (drizzle-kit's breakpoints split them), when it was made, its hash. */
interface Migration {
  statements: string[];
  when: number;
  hash: string;
}

async function readMigrations(files: MigrationFiles): Promise<Migration[]> {
  if (typeof files !== 'object' || files === null || typeof files.migrations !== 'object') {
    throw invalidArgument('migrate takes { journal, migrations }: the meta/_journal.json and the SQL files drizzle-kit generated');
  }
  return Promise.all(
    readDrizzleKit(files.journal, files.migrations).map(async (m) => ({
      statements: m.statements,
      when: m.when,
      hash: await hashOf(m.sql),
    })),
  );
}

function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Applies, in one transaction, the migrations newer than the last one recorded. */
export async function applyMigrations(db: Database, files: MigrationFiles): Promise<void> {
  const migrations = await readMigrations(files);
  const table = quoteIdentifier(files.migrationsTable ?? '__drizzle_migrations');
  await db.transaction(async (tx) => {
    // Drizzle's own table, as its migrators create it (SERIAL is no rowid alias in SQLite: id stays NULL there too).
    await tx.run(`CREATE TABLE IF NOT EXISTS ${table} (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at numeric)`);
    const last = await tx.get<{ created_at: number | string }>(`SELECT created_at FROM ${table} ORDER BY created_at DESC LIMIT 1`);
    for (const migration of migrations) {
      if (last && Number(last.created_at) >= migration.when) continue;
      // exec: a file generated without breakpoints may hold several statements in one part.
      for (const statement of migration.statements) await tx.exec(statement);
      await tx.run(`INSERT INTO ${table} ("hash", "created_at") VALUES (?, ?)`, [migration.hash, migration.when]);
    }
  });
}
