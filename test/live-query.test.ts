/**
 * liveQuery: a live query as a store of the plain `subscribe(run) => unsubscribe` contract that
 * Svelte stores follow (and Vue or Solid adapt in a line), tested with the contract itself.
 */
import { expect, it } from 'vitest';
import { liveQuery, type LiveState } from 'sqlite-baton';
import { open } from './support/open.ts';

const settle = () => new Promise((r) => setTimeout(r, 200));

async function until(check: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

it('subscribe calls run at once with the current state, then at each change; unsubscribe stops it', async () => {
  const db = await open();
  await db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, 'a')");
  const store = liveQuery<{ id: number; v: string }>(db, 'SELECT id, v FROM t WHERE id >= ? ORDER BY id', [1]);
  const first: LiveState<{ id: number; v: string }>[] = [];
  const second: LiveState<{ id: number; v: string }>[] = [];
  const unsubscribeFirst = store.subscribe((state) => first.push(state));
  // Synchronously, as the contract says: the state before the first rows.
  expect(first).toEqual([{ rows: [], error: undefined, loading: true }]);
  await until(() => first.length === 2);
  expect(first[1]).toEqual({ rows: [{ id: 1, v: 'a' }], error: undefined, loading: false });
  // A second subscriber gets the current state at once, from the same query.
  const unsubscribeSecond = store.subscribe((state) => second.push(state));
  expect(second).toEqual([first[1]]);

  await db.run("INSERT INTO t VALUES (2, 'b')");
  await until(() => first.length === 3 && second.length === 2);
  expect(first[2]!.rows.map((r) => r.v)).toEqual(['a', 'b']);
  expect(second[1]).toBe(first[2]);

  unsubscribeFirst();
  await db.run("INSERT INTO t VALUES (3, 'c')");
  await until(() => second.length === 3);
  unsubscribeSecond();
  await db.run("INSERT INTO t VALUES (4, 'd')");
  await settle();
  expect([first.length, second.length]).toEqual([3, 3]);
});

it('an error is a state, cleared by the next successful run', async () => {
  const db = await open();
  const states: LiveState[] = [];
  const unsubscribe = liveQuery(db, 'SELECT * FROM later').subscribe((state) => states.push(state));
  await until(() => states.length === 2);
  expect(states[1]).toMatchObject({ rows: [], loading: false });
  expect((states[1]!.error as { code?: string }).code).toBe('SQLITE_ERROR');
  await db.exec('CREATE TABLE later (v)');
  await until(() => states.at(-1)!.error === undefined);
  expect(states.at(-1)).toEqual({ rows: [], error: undefined, loading: false });
  unsubscribe();
});
