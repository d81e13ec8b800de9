import type { Database } from '../database.ts';
import { SqliteError } from '../errors.ts';
import type { Transaction } from '../transaction.ts';
import type { PreparedMigration } from './list.ts';
import { planMigrations, type AppliedMigration, type MigrationPlan } from './plan.ts';

/**
 * Running a tab's migrations at `openDatabase`: through the writer, like every write, in ONE
 * interactive transaction that holds the writer for every tab. The check of what is applied
 * happens inside that transaction, so tabs that open at the same moment take turns and each
 * migration is applied once; a failure, or the leader's death, leaves none of the run applied.
 *
 * The record is `_baton_migrations` (name, checksum, time, in order) and `PRAGMA user_version`
 * is kept equal to its length: the schema version, which the leader compares with the version
 * each tab's requests say they know.
 */

const TABLE = '_baton_migrations';

const CREATE = `CREATE TABLE IF NOT EXISTS ${TABLE} (
  seq INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  checksum TEXT,
  applied_at INTEGER NOT NULL
)`;

/** The database's state as the run sees it. */
interface Applied {
  migrations: AppliedMigration[];
  userVersion: number;
}

/** What the run found and did. */
export interface MigrationOutcome {
  /** The schema version this tab knows from now on. */
  version: number;
  /** The names applied by this run (none when another tab had applied them). */
  applied: string[];
}

type Reader = Pick<Transaction, 'all' | 'get'>;

async function readApplied(reader: Reader): Promise<Applied> {
  const migrations = await reader.all<{ name: string; checksum: string | null }>(`SELECT name, checksum FROM ${TABLE} ORDER BY seq`);
  const row = await reader.get<{ v: number }>('SELECT user_version AS v FROM pragma_user_version');
  return { migrations, userVersion: row?.v ?? 0 };
}

/**
 * The state read outside any transaction, to skip the transaction (a write, a flush) when the
 * database is already at this tab's version: the common case of every open after the first.
 */
async function peek(db: Database): Promise<Applied> {
  const exists = await db.get(`SELECT 1 AS found FROM sqlite_master WHERE type = 'table' AND name = '${TABLE}'`);
  if (!exists) {
    const row = await db.get<{ v: number }>('SELECT user_version AS v FROM pragma_user_version');
    return { migrations: [], userVersion: row?.v ?? 0 };
  }
  return readApplied(db);
}

function upToDate(plan: MigrationPlan, state: Applied): boolean {
  return plan.pending.length === 0 && (plan.newer || state.userVersion === plan.version);
}

/** A transaction cut under the run (leader change, dead worker): the whole run is tried again. */
function wasCut(error: unknown): boolean {
  return error instanceof SqliteError && error.code === 'TRANSACTION_ABORTED';
}

/** MIGRATION_FAILED for `what` ('migration "x"'), carrying SQLite's code and result code when SQLite failed. */
function failed(what: string, cause: unknown): SqliteError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  const resultCode = cause instanceof SqliteError ? cause.resultCode : undefined;
  const code = cause instanceof SqliteError ? ` (${cause.code})` : '';
  return new SqliteError('MIGRATION_FAILED', `${what} failed${code}: ${detail}; nothing of this run was applied`, resultCode, { cause });
}

/** A COMMIT that SQLite or the storage refused; a library error (LOCK_TIMEOUT...) says more as it is. */
function isStorageFailure(error: unknown): boolean {
  return error instanceof SqliteError && (error.code.startsWith('SQLITE_') || error.code === 'QUOTA_EXCEEDED');
}

/**
 * Brings the database to this tab's version. Retries the whole run when its transaction is cut,
 * until `deadline`; throws MIGRATION_FAILED, MIGRATION_CHANGED or SCHEMA_NEWER otherwise.
 */
export async function runMigrations(
  db: Database,
  migrations: readonly PreparedMigration[],
  options: { allowNewerSchema: boolean; deadline: number },
): Promise<MigrationOutcome> {
  const state = await peek(db);
  const plan = planMigrations(state.migrations, migrations, options.allowNewerSchema);
  if (upToDate(plan, state)) return { version: plan.version, applied: [] };
  for (;;) {
    try {
      return await migrateOnce(db, migrations, options.allowNewerSchema);
    } catch (e) {
      const cut = e instanceof SqliteError && e.code === 'MIGRATION_FAILED' ? wasCut(e.cause) : wasCut(e);
      if (!cut || Date.now() > options.deadline) throw e;
    }
  }
}

/** One attempt, in one transaction: read, check, apply, record, COMMIT. */
async function migrateOnce(db: Database, migrations: readonly PreparedMigration[], allowNewerSchema: boolean): Promise<MigrationOutcome> {
  const tx = await db.begin();
  try {
    await tx.exec(CREATE);
    const state = await readApplied(tx);
    const plan = planMigrations(state.migrations, migrations, allowNewerSchema);
    for (const migration of plan.pending) {
      try {
        await migration.apply(tx);
      } catch (e) {
        throw failed(`migration "${migration.name}"`, e);
      }
      await tx.run(`INSERT INTO ${TABLE} (name, checksum, applied_at) VALUES (?, ?, ?)`, [migration.name, migration.checksum, Date.now()]);
    }
    if (!plan.newer && state.userVersion !== plan.version) await tx.exec(`PRAGMA user_version = ${plan.version}`);
    try {
      await tx.commit();
    } catch (e) {
      const names = plan.pending.map((m) => `"${m.name}"`).join(', ');
      throw names !== '' && isStorageFailure(e) ? failed(`the commit of migrations ${names}`, e) : e;
    }
    return { version: plan.version, applied: plan.pending.map((m) => m.name) };
  } catch (e) {
    await tx.rollback();
    throw e;
  }
}
