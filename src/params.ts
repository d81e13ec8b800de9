import { invalidArgument } from './errors.ts';
import type { BatchStatement, RowMode, SqlParams, SqlValue } from './types.ts';

/**
 * Argument checks shared by the page (fail fast, before a value that cannot be cloned reaches
 * postMessage) and the leader (the authority: a follower's messages are not trusted blindly).
 */

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Why a value cannot be bound, or undefined when it can. */
function valueProblem(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return undefined;
    case 'number':
      return Number.isNaN(value) ? 'NaN cannot be stored (SQLite would turn it into NULL); pass null instead' : undefined;
    case 'bigint':
      return value < INT64_MIN || value > INT64_MAX ? `bigint ${value} is outside SQLite's 64-bit integer range` : undefined;
    case 'undefined':
      return 'undefined is not a SQL value; pass null';
    case 'object':
      if (value === null || value instanceof Uint8Array) return undefined;
      return `${Object.prototype.toString.call(value)} is not a SQL value; use null, number, bigint, string, boolean or Uint8Array`;
    default:
      return `a ${typeof value} is not a SQL value; use null, number, bigint, string, boolean or Uint8Array`;
  }
}

/** Throws INVALID_ARGUMENT unless `value` is a bindable SQL value. */
export function checkValue(value: unknown, where: string): asserts value is SqlValue {
  const problem = valueProblem(value);
  if (problem !== undefined) throw invalidArgument(`${where}: ${problem}`);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Throws INVALID_ARGUMENT unless `sql` is a non-empty string. */
export function checkSql(sql: unknown): asserts sql is string {
  if (typeof sql !== 'string') throw invalidArgument(`sql must be a string, got ${typeof sql}`);
  if (sql.trim() === '') throw invalidArgument('sql is empty');
}

/** Throws INVALID_ARGUMENT unless `params` is undefined, an array or a plain object of SQL values. */
export function checkParams(params: unknown): asserts params is SqlParams | undefined {
  if (params === undefined) return;
  if (Array.isArray(params)) {
    // By index, not forEach: forEach skips the holes of a sparse array, which bind as NULL.
    for (let i = 0; i < params.length; i++) checkValue(params[i], `parameter ${i + 1}`);
    return;
  }
  if (!isPlainObject(params)) {
    throw invalidArgument('params must be an array (for ?) or a plain object (for :name, @name, $name)');
  }
  for (const key of Object.keys(params)) checkValue(params[key], `parameter "${key}"`);
}

/** Throws INVALID_ARGUMENT unless `statements` is an array (possibly empty) of `{ sql, params? }`. */
export function checkBatch(statements: unknown): asserts statements is BatchStatement[] {
  if (!Array.isArray(statements)) throw invalidArgument('batch takes an array of { sql, params? }');
  for (let i = 0; i < statements.length; i++) {
    const s: unknown = statements[i];
    if (!isPlainObject(s)) throw invalidArgument(`batch statement ${i} must be an object { sql, params? }`);
    checkSql(s.sql);
    checkParams(s.params);
  }
}

/** Throws INVALID_ARGUMENT unless `rowMode` is undefined, 'array' or 'object'. */
export function checkRowMode(rowMode: unknown): asserts rowMode is RowMode | undefined {
  if (rowMode !== undefined && rowMode !== 'array' && rowMode !== 'object') {
    throw invalidArgument(`rowMode must be 'array' or 'object', got ${typeof rowMode === 'string' ? `'${rowMode}'` : typeof rowMode}`);
  }
}

/** Throws INVALID_ARGUMENT unless `options` is undefined or `{ rowMode? }` (the options of query and batch). */
export function checkRowOptions(options: unknown, verb: string): asserts options is { rowMode?: RowMode } | undefined {
  if (options === undefined) return;
  if (!isPlainObject(options)) throw invalidArgument(`${verb} options must be an object { rowMode?: 'array' | 'object' }`);
  for (const key of Object.keys(options)) {
    if (key !== 'rowMode') throw invalidArgument(`unknown ${verb} option "${key}"; the only option is rowMode ('array' or 'object')`);
  }
  checkRowMode(options.rowMode);
}
