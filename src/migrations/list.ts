import { invalidArgument } from '../errors.ts';
import { sha256Hex } from './sha256.ts';
import type { Transaction } from '../transaction.ts';
import type { FunctionMigration, Migration, SqlMigration } from '../types.ts';

/**
 * The `migrations` option: checked up front (names, one kind per entry), then made ready to run,
 * each with the checksum that is recorded when it is applied and compared on every later open.
 */

/** A migration ready to run: its checksum (null: not checked) and how to apply it. */
export interface PreparedMigration {
  readonly name: string;
  readonly checksum: string | null;
  apply(tx: Transaction): Promise<void>;
}

const MAX_NAME_LENGTH = 200;

/** Checks the `migrations` option; throws INVALID_ARGUMENT naming the bad entry and what to write. */
export function checkMigrations(value: unknown): readonly Migration[] {
  if (!Array.isArray(value)) {
    throw invalidArgument(
      'options.migrations must be an array of { name, sql } or { name, up(tx), checksum? }, in the order to apply them',
    );
  }
  const names = new Set<string>();
  value.forEach((entry: unknown, i) => {
    const where = `options.migrations[${i}]`;
    if (typeof entry !== 'object' || entry === null) throw invalidArgument(`${where} must be { name, sql } or { name, up(tx) }`);
    const m = entry as Record<string, unknown>;
    if (typeof m.name !== 'string' || m.name.length === 0 || m.name.length > MAX_NAME_LENGTH) {
      throw invalidArgument(`${where}.name must be a non-empty string of at most ${MAX_NAME_LENGTH} characters`);
    }
    if (names.has(m.name)) throw invalidArgument(`${where}: the name "${m.name}" is used twice; each migration needs its own name`);
    names.add(m.name);
    const hasSql = m.sql !== undefined;
    const hasUp = m.up !== undefined;
    if (hasSql === hasUp) throw invalidArgument(`${where} ("${m.name}") must have either sql (a string) or up (a function), not both`);
    if (hasSql && typeof m.sql !== 'string') throw invalidArgument(`${where}.sql ("${m.name}") must be a string`);
    if (hasUp && typeof m.up !== 'function') throw invalidArgument(`${where}.up ("${m.name}") must be a function (tx) => ...`);
    if (m.checksum !== undefined) {
      if (hasSql) throw invalidArgument(`${where}.checksum ("${m.name}"): a SQL migration's checksum is computed from its sql; remove it`);
      if (typeof m.checksum !== 'string' || m.checksum.length === 0) throw invalidArgument(`${where}.checksum must be a non-empty string`);
    }
  });
  return value as Migration[];
}

/**
 * A SQL migration's checksum: the SHA-256 of its text with line endings counted as `\n`, so a
 * checkout that turned them into `\r\n` is not a change. Null without Web Crypto (a non-secure
 * context, whose database is in memory and never seen again): nothing to compare with.
 */
function checksumOf(sql: string): Promise<string | null> {
  return sha256Hex(sql.replaceAll('\r\n', '\n'));
}

/** The checked list, ready to run. */
export async function prepareMigrations(list: readonly Migration[]): Promise<PreparedMigration[]> {
  return Promise.all(
    list.map(async (m): Promise<PreparedMigration> => {
      if (typeof (m as { sql?: unknown }).sql === 'string') {
        const sql = (m as SqlMigration).sql;
        return { name: m.name, checksum: await checksumOf(sql), apply: (tx) => tx.exec(sql) };
      }
      const fn = m as FunctionMigration;
      const up = fn.up.bind(fn);
      return {
        name: m.name,
        checksum: fn.checksum ?? null,
        apply: async (tx) => {
          await up(tx);
        },
      };
    }),
  );
}
