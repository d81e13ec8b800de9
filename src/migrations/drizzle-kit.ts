import { invalidArgument } from '../errors.ts';
import type { SqlMigration } from '../types.ts';

/**
 * drizzle-kit's output as the browser gets it: there is no folder to read, so the app's bundler
 * hands over the journal (`meta/_journal.json`) and the SQL files. The one reader of that output,
 * for the built-in runner ({@link migrationsFromDrizzleKit}) and for `sqlite-baton/drizzle`'s
 * `migrate()`.
 */

/** `meta/_journal.json` as drizzle-kit writes it. */
export interface MigrationJournal {
  entries: ReadonlyArray<{ idx: number; when: number; tag: string; breakpoints: boolean }>;
}

/**
 * drizzle-kit's SQL files, keyed by path or name (`'./drizzle/0000_init.sql'`, `'0000_init.sql'`,
 * `'0000_init'`) or by its bundled form (`m0000`); each value is the text, or a module whose
 * `default` is the text: what `import.meta.glob('./drizzle/*.sql', { query: '?raw', eager: true })`
 * gives, with or without `import: 'default'`.
 */
export type MigrationSqlFiles = Readonly<Record<string, string | { readonly default: string }>>;

/** One migration of drizzle-kit's output, in journal order. */
export interface DrizzleKitMigration {
  tag: string;
  /** When drizzle-kit generated it (ms): Drizzle's own migrators record it. */
  when: number;
  /** The file's text, as written. */
  sql: string;
  /** Its statements, split at drizzle-kit's `--> statement-breakpoint` markers. */
  statements: string[];
}

const BREAKPOINT = '--> statement-breakpoint';

function textOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  const text = (value as { default?: unknown } | null)?.default;
  return typeof text === 'string' ? text : undefined;
}

function findText(files: MigrationSqlFiles, entry: MigrationJournal['entries'][number]): string {
  const bundled = `m${entry.idx.toString().padStart(4, '0')}`;
  for (const [key, value] of Object.entries(files)) {
    const name = key.slice(key.lastIndexOf('/') + 1);
    if (key !== bundled && name !== entry.tag && name !== `${entry.tag}.sql`) continue;
    const text = textOf(value);
    if (text === undefined) throw invalidArgument(`the file of migration ${entry.tag} (${key}) must be its SQL text`);
    return text;
  }
  throw invalidArgument(`migration ${entry.tag} is in the journal but not among the SQL files (keys: ${Object.keys(files).join(', ')})`);
}

/** Reads drizzle-kit's output: each journal entry with its file's text and statements. Throws INVALID_ARGUMENT. */
export function readDrizzleKit(journal: MigrationJournal, files: MigrationSqlFiles): DrizzleKitMigration[] {
  if (typeof journal !== 'object' || journal === null || !Array.isArray(journal.entries)) {
    throw invalidArgument("the journal must be drizzle-kit's meta/_journal.json ({ entries: [...] })");
  }
  if (typeof files !== 'object' || files === null) {
    throw invalidArgument(
      "the SQL files must map each file's path or name to its text (import.meta.glob('./drizzle/*.sql', { query: '?raw', eager: true }))",
    );
  }
  return journal.entries.map((entry) => {
    if (typeof entry?.tag !== 'string' || !Number.isInteger(entry.idx)) throw invalidArgument('a journal entry must have a tag and an idx');
    const sql = findText(files, entry);
    return { tag: entry.tag, when: entry.when, sql, statements: sql.split(BREAKPOINT).filter((statement) => statement.trim() !== '') };
  });
}

/**
 * drizzle-kit's output as `openDatabase`'s `migrations`: one SQL migration per journal entry,
 * named by its tag (`0000_init`), in journal order. The breakpoint markers are SQL comments, so
 * each file runs whole.
 *
 * @example
 * // Vite: the files `drizzle-kit generate` wrote into ./drizzle
 * import journal from './drizzle/meta/_journal.json';
 * const files = import.meta.glob('./drizzle/*.sql', { query: '?raw', eager: true });
 * const db = await openDatabase('app.db', { migrations: migrationsFromDrizzleKit(journal, files) });
 */
export function migrationsFromDrizzleKit(journal: MigrationJournal, files: MigrationSqlFiles): SqlMigration[] {
  return readDrizzleKit(journal, files).map((m) => ({ name: m.tag, sql: m.sql }));
}
