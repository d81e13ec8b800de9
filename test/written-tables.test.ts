/**
 * What the leader's connection reports for live queries, checked on the connection itself: the
 * tables a transaction wrote (SQLite's preupdate hook, kept against savepoints, statement undo
 * and rollbacks) and the tables a query reads (the authorizer at prepare time).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { wrap } from 'comlink';
import type { Outcome, Step } from './support/written-tables.worker.ts';

const worker = new Worker(new URL('./support/written-tables.worker.ts', import.meta.url), { type: 'module' });
const conn = wrap<{ run(steps: Step[]): Promise<Outcome[]> }>(worker);
afterAll(() => worker.terminate());

let n = 0;
/** Fresh table names per test, in one shared connection. */
function names(...bases: string[]): string[] {
  n++;
  return bases.map((base) => `${base}${n}`);
}

/** Runs `steps` and returns what the `take` steps said, failing on any step that failed unexpectedly. */
async function takes(steps: Step[], failing: number[] = []): Promise<unknown[]> {
  const outcomes = await conn.run(steps);
  outcomes.forEach((outcome, i) =>
    expect(outcome.ok, `step ${i}: ${JSON.stringify(steps[i])} -> ${JSON.stringify(outcome)}`).toBe(!failing.includes(i)),
  );
  return outcomes.flatMap((outcome, i) => ('take' in steps[i]! && outcome.ok ? [outcome.value] : []));
}

describe('tables written', () => {
  it('rowid and WITHOUT ROWID tables, inserts, updates and deletes, but not a write that matched nothing', async () => {
    const [a, b, c, d] = names('a', 'b', 'c', 'd');
    const taken = await takes([
      {
        exec: `CREATE TABLE ${a} (id INTEGER PRIMARY KEY, v); CREATE TABLE ${b} (k TEXT PRIMARY KEY, v) WITHOUT ROWID;
               CREATE TABLE ${c} (v); CREATE TABLE ${d} (v)`,
      },
      { control: 'BEGIN' },
      { take: true },
      { query: `INSERT INTO ${a} (v) VALUES (1)` },
      { query: `INSERT INTO ${b} VALUES ('x', 1)` },
      { query: `UPDATE ${c} SET v = 2 WHERE v = 99` },
      { query: `DELETE FROM ${d}` },
      { control: 'COMMIT' },
      { take: true },
    ]);
    expect(taken).toEqual([[], [a, b].sort()]);
  });

  it('a DELETE of every row (no truncate shortcut past the hook) and a REPLACE', async () => {
    const [a, b] = names('a', 'b');
    const taken = await takes([
      { exec: `CREATE TABLE ${a} (v); INSERT INTO ${a} VALUES (1), (2); CREATE TABLE ${b} (id INTEGER PRIMARY KEY, v)` },
      { take: true },
      { control: 'BEGIN' },
      { query: `DELETE FROM ${a}` },
      { control: 'COMMIT' },
      { take: true },
      { control: 'BEGIN' },
      { query: `REPLACE INTO ${b} VALUES (1, 'x')` },
      { control: 'COMMIT' },
      { take: true },
    ]);
    expect(taken.slice(1)).toEqual([[a], [b]]);
  });

  it('ROLLBACK TO forgets what the savepoint wrote, RELEASE keeps it, nested', async () => {
    const [a, b, c, d] = names('a', 'b', 'c', 'd');
    const taken = await takes([
      { exec: `CREATE TABLE ${a} (v); CREATE TABLE ${b} (v); CREATE TABLE ${c} (v); CREATE TABLE ${d} (v)` },
      { control: 'BEGIN' },
      { take: true },
      { query: `INSERT INTO ${a} VALUES (1)` },
      { query: 'SAVEPOINT one' },
      { query: `INSERT INTO ${b} VALUES (1)` },
      { query: 'SAVEPOINT two' },
      { query: `INSERT INTO ${c} VALUES (1)` },
      { query: `INSERT INTO ${a} VALUES (2)` },
      { query: 'ROLLBACK TO one' },
      { query: `INSERT INTO ${d} VALUES (1)` },
      { query: 'RELEASE one' },
      { control: 'COMMIT' },
      { take: true },
    ]);
    // b and c were undone; a stays (written before the savepoint), d was written after the rollback.
    expect(taken[1]).toEqual([a, d].sort());
  });

  it("a group's failed write (its savepoint rolled back) counts for nothing; the others count", async () => {
    const [a, b] = names('a', 'b');
    const taken = await takes(
      [
        { exec: `CREATE TABLE ${a} (v); CREATE TABLE ${b} (v UNIQUE)` },
        { control: 'BEGIN' },
        { take: true },
        { control: 'SAVEPOINT baton_request' },
        { query: `INSERT INTO ${a} VALUES (1)` },
        { control: 'RELEASE baton_request' },
        { control: 'SAVEPOINT baton_request' },
        { query: `INSERT INTO ${b} VALUES (1), (1)` },
        { control: 'ROLLBACK TO baton_request' },
        { control: 'RELEASE baton_request' },
        { control: 'COMMIT' },
        { take: true },
      ],
      [7],
    );
    expect(taken[1]).toEqual([a]);
  });

  it('a failed statement undone by SQLite counts for nothing; one whose OR FAIL rows stay counts', async () => {
    const [a, b] = names('a', 'b');
    const taken = await takes(
      [
        { exec: `CREATE TABLE ${a} (v UNIQUE); CREATE TABLE ${b} (v UNIQUE)` },
        { control: 'BEGIN' },
        { take: true },
        // The first row is written, then the second fails: SQLite undoes the statement.
        { query: `INSERT INTO ${a} VALUES (1), (1)` },
        // OR FAIL keeps the rows before the failing one.
        { query: `INSERT OR FAIL INTO ${b} VALUES (1), (1)` },
        { control: 'COMMIT' },
        { take: true },
      ],
      [3, 4],
    );
    expect(taken[1]).toEqual([b]);
  });

  it('a rolled-back transaction leaves nothing, whoever ended it', async () => {
    const [a] = names('a');
    const taken = await takes(
      [
        { exec: `CREATE TABLE ${a} (v UNIQUE); INSERT INTO ${a} VALUES (1)` },
        { control: 'BEGIN' },
        { take: true },
        { query: `INSERT INTO ${a} VALUES (2)` },
        { control: 'ROLLBACK' },
        { control: 'BEGIN' },
        { query: `INSERT INTO ${a} VALUES (3)` },
        // SQLite ends the whole transaction itself.
        { query: `INSERT OR ROLLBACK INTO ${a} VALUES (1)` },
        { take: true },
      ],
      [7],
    );
    expect(taken[1]).toEqual([]);
  });

  it('DDL counts the tables and views it creates, alters and drops', async () => {
    const [a, v] = names('a', 'v');
    const taken = await takes([
      { control: 'BEGIN' },
      { take: true },
      { query: `CREATE TABLE ${a} (x)` },
      { query: `CREATE VIEW ${v} AS SELECT x FROM ${a}` },
      { control: 'COMMIT' },
      { take: true },
      { control: 'BEGIN' },
      { query: `ALTER TABLE ${a} ADD COLUMN y` },
      { control: 'COMMIT' },
      { take: true },
      { control: 'BEGIN' },
      { query: `DROP VIEW ${v}` },
      { query: `DROP TABLE ${a}` },
      { control: 'COMMIT' },
      { take: true },
    ]);
    expect(taken.slice(1)).toEqual([[a, v].sort(), [a], [a, v].sort()]);
  });

  it("the library's own tables are left out", async () => {
    const taken = await takes([
      { exec: 'CREATE TABLE IF NOT EXISTS _baton_requests_test (v)' },
      { control: 'BEGIN' },
      { take: true },
      { query: 'INSERT INTO _baton_requests_test VALUES (1)' },
      { control: 'COMMIT' },
      { take: true },
    ]);
    expect(taken[1]).toEqual([]);
  });
});

describe('tables read', () => {
  it('tables, joins, subqueries, views (with the view itself) and CTEs, from SQLite, not from the text; never a write', async () => {
    const [a, b, c, v] = names('a', 'b', 'c', 'v');
    const outcomes = await conn.run([
      { exec: `CREATE TABLE ${a} (id, x); CREATE TABLE ${b} (a_id, y); CREATE TABLE ${c} (z); CREATE VIEW ${v} AS SELECT x FROM ${a}` },
      { snapshot: `SELECT count(*) FROM ${a}` },
      { snapshot: `SELECT x, y FROM ${a} JOIN ${b} ON b${n}.a_id = a${n}.id WHERE x IN (SELECT z FROM ${c})` },
      { snapshot: `SELECT * FROM ${v}` },
      { snapshot: `WITH t AS (SELECT y FROM ${b}) SELECT * FROM t` },
      { snapshot: "SELECT 1 AS one, 'FROM a' AS text" },
      { snapshot: `INSERT INTO ${a} VALUES (1, 2) RETURNING id` },
    ]);
    expect(outcomes).toEqual([
      { ok: true },
      { ok: true, value: [a] },
      { ok: true, value: [a, b, c].sort() },
      { ok: true, value: [a, v].sort() },
      // A CTE is reported like a view (its name as the reader): one name too many, never one too few.
      { ok: true, value: [b, 't'].sort() },
      { ok: true, value: [] },
      { ok: false, code: 'INVALID_ARGUMENT' },
    ]);
  });

  it('a cached statement prepared anew after the schema changed reports what it reads now', async () => {
    const [a, b, v] = names('a', 'b', 'v');
    const outcomes = await conn.run([
      { exec: `CREATE TABLE ${a} (x); CREATE TABLE ${b} (x); CREATE VIEW ${v} AS SELECT x FROM ${a}` },
      { snapshot: `SELECT * FROM ${v}` },
      { exec: `DROP VIEW ${v}; CREATE VIEW ${v} AS SELECT x FROM ${b}` },
      { snapshot: `SELECT * FROM ${v}` },
    ]);
    expect(outcomes[1]).toEqual({ ok: true, value: [a, v].sort() });
    expect(outcomes[3]).toEqual({ ok: true, value: [b, v].sort() });
  });
});
