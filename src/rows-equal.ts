import type { Row, SqlValue } from './types.ts';

/**
 * Whether two results are the same, value by value: what a live query compares before calling
 * its listener again. Blobs are compared byte by byte, integers as SQLite gave them (a number, or
 * a bigint beyond 2^53), so a result that did not change is never delivered twice.
 */

export function sameValue(a: SqlValue, b: SqlValue): boolean {
  if (a === b) return true;
  if (a instanceof Uint8Array && b instanceof Uint8Array) {
    if (a.byteLength !== b.byteLength) return false;
    for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
    return true;
  }
  return false;
}

export function sameRow(a: Row, b: Row): boolean {
  if (a === b) return true;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  for (const key of keys) {
    if (!Object.hasOwn(b, key) || !sameValue(a[key]!, b[key]!)) return false;
  }
  return true;
}

export function sameRows(a: readonly Row[], b: readonly Row[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!sameRow(a[i]!, b[i]!)) return false;
  return true;
}
