import { invalidArgument } from './errors.ts';
import { sameRow } from './rows-equal.ts';
import type { Row, RowsDiff, SqlValue } from './types.ts';

/**
 * A live query's keyed diff (`{ key: 'id' }`): what was added, removed and changed since the last
 * delivery, matched by key, so a list of thousands of rows can be patched instead of rebuilt. A
 * row that did not change is delivered as the very object delivered last time, so a UI that
 * compares by identity (React.memo) skips it.
 */

/** A column name, or a function that gives each row's key. */
export type RowKey<T = Row> = string | ((row: T) => SqlValue);

/** A key as a Map key: values of different kinds never meet, blobs by their bytes. */
function mapKey(value: SqlValue): unknown {
  if (value instanceof Uint8Array) {
    let hex = '\u0000blob:';
    for (const byte of value) hex += byte.toString(16).padStart(2, '0');
    return hex;
  }
  return value;
}

function keyer(key: RowKey): (row: Row) => unknown {
  if (typeof key === 'function') return (row) => mapKey(key(row));
  return (row) => {
    if (!Object.hasOwn(row, key)) throw invalidArgument(`the watch's key column "${key}" is not in its result`);
    return mapKey(row[key]!);
  };
}

function byKey(rows: readonly Row[], keyOf: (row: Row) => unknown, key: RowKey): Map<unknown, Row> {
  const map = new Map<unknown, Row>();
  for (const row of rows) {
    const k = keyOf(row);
    if (map.has(k)) {
      const name = typeof key === 'string' ? `column "${key}"` : 'key function';
      throw invalidArgument(`the watch's ${name} gives the same key to two rows (${String(k)}): a key must be unique in the result`);
    }
    map.set(k, row);
  }
  return map;
}

/**
 * The diff from `previous` (undefined before the first delivery) to `next`, and `next` with each
 * unchanged row replaced by its previous object. Throws INVALID_ARGUMENT when a key is missing or
 * not unique.
 */
export function keyedDiff(previous: readonly Row[] | undefined, next: Row[], key: RowKey): { rows: Row[]; diff: RowsDiff<Row> } {
  const keyOf = keyer(key);
  const before = byKey(previous ?? [], keyOf, key);
  const after = byKey(next, keyOf, key);
  const diff: RowsDiff<Row> = { added: [], removed: [], changed: [] };
  const rows = next.map((row) => {
    const old = before.get(keyOf(row));
    if (old === undefined) diff.added.push(row);
    else if (sameRow(old, row)) return old;
    else diff.changed.push(row);
    return row;
  });
  for (const [k, row] of before) if (!after.has(k)) diff.removed.push(row);
  return { rows, diff };
}
