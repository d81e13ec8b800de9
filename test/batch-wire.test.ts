import { describe, expect, it } from 'vitest';
import { checkPackedStatements, forEachStatement, packResults, packStatements, unpackResults } from '../src/batch-wire.ts';
import type { BatchResult, BatchStatement, SqlParams } from '../src/types.ts';

/** A batch crosses workers packed; what arrives must be exactly what was given, or refused. */
function unpacked(statements: BatchStatement[]): BatchStatement[] {
  const packed = structuredClone(packStatements(statements));
  checkPackedStatements(packed);
  const out: BatchStatement[] = [];
  forEachStatement(packed, (sql: string, params: SqlParams | undefined) => out.push(params === undefined ? { sql } : { sql, params }));
  return out;
}

function refusal(value: unknown): string {
  try {
    checkPackedStatements(value);
  } catch (e) {
    return (e as { code?: string }).code ?? String(e);
  }
  return 'accepted';
}

describe('batch wire form', () => {
  it('carries positional, named, empty and absent parameters of every type, in order', () => {
    const statements: BatchStatement[] = [
      { sql: 'INSERT INTO t VALUES (?, ?)', params: [1, 'a'] },
      { sql: 'INSERT INTO t VALUES (:x, :y)', params: { x: 2n ** 60n, ':y': new Uint8Array([1, 2]) } },
      { sql: 'SELECT 1' },
      { sql: 'SELECT 2', params: [] },
      { sql: 'INSERT INTO t VALUES (?, ?)', params: [null, true] },
      { sql: 'INSERT INTO t VALUES (?, ?, ?)', params: [1.5, -0, ''] },
    ];
    expect(unpacked(statements)).toEqual(statements);
  });

  it('sends each SQL text once', () => {
    const statements = Array.from({ length: 1000 }, (_, i) => ({ sql: i % 2 ? 'A' : 'B', params: [i] }));
    const packed = packStatements(statements);
    expect(packed.texts).toEqual(['B', 'A']);
    expect(packed.values).toHaveLength(1000);
    expect(unpacked(statements)).toEqual(statements);
  });

  it('an empty batch stays empty', () => {
    expect(unpacked([])).toEqual([]);
  });

  it('refuses malformed packed batches with INVALID_ARGUMENT', () => {
    const good = () =>
      packStatements([
        { sql: 'SELECT ?', params: [1] },
        { sql: 'SELECT :a', params: { a: 2 } },
      ]);
    expect(refusal(good())).toBe('accepted');
    const cases: Record<string, unknown> = {
      'not an object': 'x',
      'plain arrays for the typed ones': { ...good(), sql: [0, 0], shape: [1, -1] },
      'a SQL index past the texts': { ...good(), sql: new Int32Array([0, 5]) },
      'a negative SQL index': { ...good(), sql: new Int32Array([-1, 0]) },
      'one shape short': { ...good(), shape: new Int32Array([1]) },
      'an unknown shape': { ...good(), shape: new Int32Array([1, -7]) },
      'more values taken than given': { ...good(), shape: new Int32Array([2, -1]) },
      'values left over': { ...good(), values: [1, { a: 2 }, 3] },
      'an unbindable value': { ...good(), values: [Number.NaN, { a: 2 }] },
      'named parameters as an array': { ...good(), values: [1, [2]] },
      'a bigint out of range': { ...good(), values: [2n ** 64n, { a: 2 }] },
      'an empty SQL text': { ...good(), texts: [' ', 'SELECT :a'] },
    };
    for (const [label, value] of Object.entries(cases))
      expect({ label, code: refusal(value) }).toEqual({ label, code: 'INVALID_ARGUMENT' });
  });

  it('packs 100,000 insert results into one run and unpacks them whole', () => {
    const batch: BatchResult[] = Array.from({ length: 100_000 }, (_, i) => ({ rows: [], changes: 1, lastInsertRowid: 1000 + i }));
    const packed = packResults(batch);
    expect(packed.runs).toHaveLength(1);
    expect(unpackResults(structuredClone(packed))).toEqual(batch);
  });

  it('keeps mixed results: rows, updates that keep the rowid, bigint rowids, gaps', () => {
    const big = 2n ** 60n;
    const batch: BatchResult[] = [
      { rows: [], changes: 1, lastInsertRowid: 5 },
      { rows: [], changes: 1, lastInsertRowid: 6 },
      { rows: [{ n: 2 }], changes: 0, lastInsertRowid: 6 },
      { rows: [], changes: 3, lastInsertRowid: 6 },
      { rows: [], changes: 3, lastInsertRowid: 6 },
      { rows: [], changes: 1, lastInsertRowid: 9 },
      { rows: [], changes: 1, lastInsertRowid: 8 },
      { rows: [], changes: 1, lastInsertRowid: big },
      { rows: [], changes: 1, lastInsertRowid: big + 1n },
      { rows: [{ id: big + 1n }], changes: 0, lastInsertRowid: big + 1n },
    ];
    expect(unpackResults(structuredClone(packResults(batch)))).toEqual(batch);
  });
});
