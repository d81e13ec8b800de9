import type { SqlParams, SqlValue } from '../types.ts';

/**
 * A string equal for parameters equal by value, so that `useQuery(db, sql, [id])` with a new
 * array at each render keeps its live query. Every value kind keeps its own form (1, '1', 1n,
 * true and a blob of [1] all differ).
 */
export function paramsKey(params: SqlParams | undefined): string {
  if (params === undefined) return '';
  const encode = (value: SqlValue): unknown => {
    if (typeof value === 'bigint') return { n: value.toString() };
    if (value instanceof Uint8Array) return { b: Array.from(value) };
    return value;
  };
  if (Array.isArray(params)) return JSON.stringify((params as readonly SqlValue[]).map(encode));
  return JSON.stringify(Object.entries(params).map(([name, value]) => [name, encode(value as SqlValue)]));
}
