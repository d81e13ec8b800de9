import { invalidArgument } from './errors.ts';
import { checkParams, checkSql, checkValue } from './params.ts';
import type { BatchStatement, Row, RunResult, SqlParams, SqlValue } from './types.ts';

/**
 * A batch as it crosses from a page to the leader and back: every hop copies it (structured
 * clone), and the plain forms repeat what is the same for every statement. A 100,000-row insert
 * is 100,000 copies of one SQL text and 100,000 small objects; packed, the text goes once, the
 * parameters go as one flat array, and the answer (100,000 `{ rows: [], changes: 1,
 * lastInsertRowid: n }`) goes as one run of results. Copying the request packed costs about a
 * third, the reply a few hundredths. The page packs and unpacks; the leader runs the packed form.
 */

/** How a statement takes its parameters from `values`: a count of positional values, or one of these. */
const NAMED = -1;
const NONE = -2;

export interface PackedStatements {
  /** Each distinct SQL text, once. */
  texts: string[];
  /** Per statement, the index of its SQL text in `texts`. */
  sql: Int32Array;
  /** Per statement: n >= 0 takes the next n values (positional); NAMED takes one object; NONE takes nothing. */
  shape: Int32Array;
  values: Array<SqlValue | Readonly<Record<string, SqlValue>>>;
}

export function packStatements(statements: readonly BatchStatement[]): PackedStatements {
  const texts: string[] = [];
  const index = new Map<string, number>();
  const sql = new Int32Array(statements.length);
  const shape = new Int32Array(statements.length);
  const values: PackedStatements['values'] = [];
  for (let i = 0; i < statements.length; i++) {
    const { sql: text, params } = statements[i]!;
    let at = index.get(text);
    if (at === undefined) {
      at = texts.push(text) - 1;
      index.set(text, at);
    }
    sql[i] = at;
    if (params === undefined) shape[i] = NONE;
    else if (Array.isArray(params)) {
      shape[i] = params.length;
      for (let j = 0; j < params.length; j++) values.push(params[j] as SqlValue);
    } else {
      shape[i] = NAMED;
      values.push(params as Readonly<Record<string, SqlValue>>);
    }
  }
  return { texts, sql, shape, values };
}

/** Calls `fn` with each statement of a checked packed batch, in order. */
export function forEachStatement(packed: PackedStatements, fn: (sql: string, params: SqlParams | undefined) => void): void {
  let next = 0;
  for (let i = 0; i < packed.sql.length; i++) {
    const shape = packed.shape[i]!;
    let params: SqlParams | undefined;
    if (shape === NONE) params = undefined;
    else if (shape === NAMED) params = packed.values[next++] as SqlParams;
    else {
      params = packed.values.slice(next, next + shape) as SqlValue[];
      next += shape;
    }
    fn(packed.texts[packed.sql[i]!]!, params);
  }
}

/**
 * Throws INVALID_ARGUMENT unless `value` is a well-formed packed batch of bindable values: the
 * leader's check, since a follower's message may not come from this library.
 */
export function checkPackedStatements(value: unknown): asserts value is PackedStatements {
  if (typeof value !== 'object' || value === null) throw invalidArgument('batch statements must be packed (see src/batch-wire.ts)');
  const { texts, sql, shape, values } = value as Record<string, unknown>;
  if (!Array.isArray(texts) || !(sql instanceof Int32Array) || !(shape instanceof Int32Array) || !Array.isArray(values)) {
    throw invalidArgument('a packed batch is { texts: string[], sql: Int32Array, shape: Int32Array, values: unknown[] }');
  }
  for (const text of texts) checkSql(text);
  if (shape.length !== sql.length) throw invalidArgument('a packed batch needs one shape per statement');
  let next = 0;
  for (let i = 0; i < sql.length; i++) {
    if (sql[i]! < 0 || sql[i]! >= texts.length) throw invalidArgument(`batch statement ${i} points at no SQL text`);
    const n = shape[i]!;
    if (n === NONE) continue;
    if (n === NAMED) {
      const params = values[next++];
      if (Array.isArray(params)) throw invalidArgument(`batch statement ${i}: named parameters must be an object`);
      checkParams(params);
    } else if (n >= 0) {
      if (next + n > values.length) throw invalidArgument(`batch statement ${i} takes more values than the batch holds`);
      for (let j = 0; j < n; j++) checkValue(values[next + j], `batch statement ${i}, parameter ${j + 1}`);
      next += n;
    } else throw invalidArgument(`batch statement ${i} has an unknown parameter shape ${n}`);
  }
  if (next !== values.length) throw invalidArgument('a packed batch must use each of its values exactly once');
}

type Rowid = number | bigint;
/** `count` results in a row without rows, each with `changes`, the rowid starting at `first` and growing by `step`. */
type Run = [count: number, changes: number, first: Rowid, step: 0 | 1];

/** One statement's result in a batch: rows as objects, or as arrays (then with its columns). */
export interface StatementResult extends RunResult {
  rows: Row[] | SqlValue[][];
  columns?: string[];
}

/**
 * A batch's results: runs of results without rows whose rowid stays or grows by one (the common
 * batch is a single run), and the results that returned rows, by position. A batch run with a
 * `rowMode` also carries the column names of the statements that have columns: rows as arrays
 * mean nothing without them, and a SELECT that found nothing still has its columns.
 */
export interface PackedResults {
  runs: Run[];
  rows: Array<[index: number, rows: StatementResult['rows']]>;
  columns?: Array<[index: number, names: string[]]>;
}

/** `to - from` as a number (exact for the small differences that make a run). */
function offset(from: Rowid, to: Rowid): number {
  return typeof from === 'number' && typeof to === 'number' ? to - from : Number(BigInt(to) - BigInt(from));
}

/** Packs a batch's results; `withColumns` keeps each statement's column names (a batch run with a rowMode). */
export function packResults(results: readonly StatementResult[], withColumns = false): PackedResults {
  const runs: Run[] = [];
  const rows: PackedResults['rows'] = [];
  const columns: NonNullable<PackedResults['columns']> = [];
  for (let index = 0; index < results.length; index++) {
    const result = results[index]!;
    if (result.rows.length > 0) rows.push([index, result.rows]);
    if (withColumns && result.columns && result.columns.length > 0) columns.push([index, result.columns]);
    const last = runs.at(-1);
    if (last && last[1] === result.changes && typeof last[2] === typeof result.lastInsertRowid) {
      const gap = offset(last[2], result.lastInsertRowid);
      const step = last[0] === 1 ? gap : last[3];
      if ((step === 0 || step === 1) && gap === step * last[0]) {
        last[0]++;
        last[3] = step;
        continue;
      }
    }
    runs.push([1, result.changes, result.lastInsertRowid, 0]);
  }
  return withColumns ? { runs, rows, columns } : { runs, rows };
}

/** The results of a packed batch, in order; with `columns` on each when the batch carried them. */
export function unpackResults(packed: PackedResults): StatementResult[] {
  const results: StatementResult[] = [];
  const withColumns = packed.columns !== undefined;
  for (const [count, changes, first, step] of packed.runs) {
    for (let i = 0; i < count; i++) {
      const lastInsertRowid = typeof first === 'bigint' ? first + BigInt(step * i) : first + step * i;
      results.push(withColumns ? { columns: [], rows: [], changes, lastInsertRowid } : { rows: [], changes, lastInsertRowid });
    }
  }
  for (const [index, rows] of packed.rows) results[index]!.rows = rows;
  for (const [index, names] of packed.columns ?? []) results[index]!.columns = names;
  return results;
}
