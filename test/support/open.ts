/**
 * What every single-tab test needs: a database of a name no other test uses (one origin, one OPFS
 * and one set of Web Locks for the whole run; see unique-name.ts) and a handle that is closed when
 * the test ends, passed or failed, so no worker outlives its test.
 */
import { expect, onTestFinished } from 'vitest';
import { openDatabase, SqliteError, type Database, type DatabaseOptions } from 'sqlite-baton';
import { uniqueName } from './unique-name.ts';

/** Opens `name` (a fresh one by default) and closes it when the current test finishes. */
export async function open(options?: DatabaseOptions, name = uniqueName()): Promise<Database> {
  const db = await openDatabase(name, options);
  onTestFinished(() => db.close());
  return db;
}

/**
 * Runs `call` and returns what it failed with, whether it threw at once or rejected later, so a
 * test about an error's code does not also depend on how the error was delivered. Fails the test
 * when the call succeeds or fails with something that is not a SqliteError.
 */
export async function failure(call: () => unknown): Promise<SqliteError> {
  let outcome: { value: unknown } | { error: unknown };
  try {
    outcome = { value: await call() };
  } catch (error) {
    outcome = { error };
  }
  if (!('error' in outcome)) throw new Error(`expected a failure, got ${String(outcome.value)}`);
  expect(outcome.error).toBeInstanceOf(SqliteError);
  return outcome.error as SqliteError;
}

/** The number of rows of `table`, as a number. */
export async function count(db: Pick<Database, 'get'>, table: string): Promise<number> {
  const row = await db.get<{ n: number }>(`SELECT count(*) AS n FROM ${table}`);
  return row!.n;
}

/** Every storage a database can live in: the single-tab suites run over each. */
export const STORAGES = ['opfs', 'indexeddb', 'memory'] as const;

/** The storages that persist and are shared by every tab. */
export const PERSISTENT = ['opfs', 'indexeddb'] as const;

export type TestStorage = (typeof STORAGES)[number];
