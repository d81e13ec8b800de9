import { SqliteError } from '../errors.ts';
import type { PreparedMigration } from './list.ts';

/**
 * What a tab's migration list means against what the database has applied: the migrations to
 * apply, the schema version the tab then knows, or why the two cannot be reconciled. Pure, so the
 * same decision is made before the run's transaction (to skip it) and inside it (to act on it).
 *
 * The applied list must be the tab's list, in order, up to some point: migrations are added at the
 * end. A name the tab does not know means the database was migrated by newer code (SCHEMA_NEWER);
 * an applied migration whose checksum changed, or a new one placed before applied ones, means the
 * list was edited where it must not be (MIGRATION_CHANGED).
 */

/** One row of `_baton_migrations`, in the order applied. */
export interface AppliedMigration {
  name: string;
  checksum: string | null;
}

export interface MigrationPlan {
  /** The migrations to apply, in order (none when the database is newer than this tab). */
  pending: PreparedMigration[];
  /** The database's version once `pending` is applied: the number of migrations applied. */
  version: number;
  /** True when the database has migrations this tab does not know (opened with allowNewerSchema). */
  newer: boolean;
}

function list(names: readonly string[]): string {
  const shown = names.slice(0, 5).map((n) => `"${n}"`);
  return names.length > 5 ? `${shown.join(', ')} and ${names.length - 5} more` : shown.join(', ');
}

function changed(message: string): SqliteError {
  return new SqliteError('MIGRATION_CHANGED', `${message}; nothing was applied`);
}

/** Compares `applied` (the database's record) with the tab's `migrations`; throws when they disagree. */
export function planMigrations(
  applied: readonly AppliedMigration[],
  migrations: readonly PreparedMigration[],
  allowNewerSchema: boolean,
): MigrationPlan {
  const known = new Set(migrations.map((m) => m.name));
  const unknown = applied.filter((a) => !known.has(a.name)).map((a) => a.name);
  const newer = unknown.length > 0;
  if (newer && !allowNewerSchema) {
    throw new SqliteError(
      'SCHEMA_NEWER',
      `the database has migrations this tab does not know (${list(unknown)}): this tab runs older code than the database; ` +
        'reload it to get the new code (or open with allowNewerSchema: true if this code works on the newer schema)',
    );
  }
  // Applied migrations this tab knows are checked in order: up to the end of whichever list ends first.
  const common = Math.min(applied.length, migrations.length);
  for (let i = 0; i < common; i++) {
    const done = applied[i]!;
    const mine = migrations[i]!;
    if (done.name !== mine.name) {
      if (newer) break;
      throw changed(
        `migration "${mine.name}" is listed where the database applied "${done.name}": ` +
          'add new migrations at the end of the list, never between or before applied ones',
      );
    }
    if (done.checksum !== null && mine.checksum !== null && done.checksum !== mine.checksum) {
      throw changed(
        `migration "${mine.name}" was changed after it was applied (checksum ${done.checksum.slice(0, 12)}… recorded, ` +
          `${mine.checksum.slice(0, 12)}… now): an applied migration must never change; add a new migration instead`,
      );
    }
  }
  if (newer) {
    // Migrated beyond this tab's list by newer code: this tab may open only if its whole list is
    // what the database applied first, in the same order.
    if (!migrations.every((m, i) => applied[i]?.name === m.name)) {
      throw new SqliteError(
        'SCHEMA_NEWER',
        `the database has migrations this tab does not know (${list(unknown)}) and its history differs from this tab's list: ` +
          'the database was migrated by other code; reload this tab to get it',
      );
    }
    return { pending: [], version: applied.length, newer };
  }
  return { pending: migrations.slice(applied.length), version: migrations.length, newer };
}
