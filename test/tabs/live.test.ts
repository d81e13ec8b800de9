/**
 * Live queries across real tabs (issue 13, point 3): each semantic of db.watch and the change
 * event, with the writes made in another tab than the watch; then sqlite-baton/react's useQuery.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Tab as Page } from '../support/tab.ts';
import { SESSION_QUOTA, withShrunkQuota, writeBlobsUntilFull } from '../support/quota.ts';
import { sleep } from '../support/sleep.ts';
import { useTabs } from '../support/tabs.ts';
import { uniqueName } from '../support/unique-name.ts';

const tabs = useTabs({ beforeAll, afterAll }, { path: '/test/tabs/live.html', quotaBytes: SESSION_QUOTA });

interface Tab {
  page: Page;
  tab: string;
}

async function openTab(name: string, lockTimeout?: number): Promise<Tab> {
  const page = await tabs().openTab();
  const tab = await page.evaluate(([n, t]) => window.harness.open(n as string, t as number | undefined), [name, lockTimeout] as const);
  return { page, tab };
}

function state(page: Page, id: string) {
  return page.evaluate((i) => window.live.state(i), id);
}

/** Waits until watch `id` in `page` has delivered rows for which `check` (a function's source) is true. */
async function until(page: Page, id: string, check: string, timeout = 10_000): Promise<void> {
  await page.waitForFunction(
    ([i, c]) => {
      const rows = window.live.last(i as string);
      return rows !== null && (new Function('rows', `return (${c as string})(rows)`) as (rows: unknown) => boolean)(rows);
    },
    [id, check] as const,
    { timeout },
  );
}

/** Time for a notice or read that should not come to show itself if it did. */
const settle = (ms = 300) => sleep(ms);

test('a commit that fails (quota) notifies nothing; each one that returned, once, in another tab', async () => {
  const name = uniqueName('live-quota');
  const a = await openTab(name);
  const b = await openTab(name);
  await a.page.evaluate(() => window.db.exec('CREATE TABLE blobs (id INTEGER PRIMARY KEY, b BLOB)'));
  await b.page.evaluate(() => {
    window.live.hearChanges();
    window.live.watch('n', 'SELECT count(*) AS n FROM blobs');
  });
  await until(b.page, 'n', '(rows) => rows[0].n === 0');
  const outcome = await withShrunkQuota(tabs(), a.page, 3 * 1024 * 1024, () => writeBlobsUntilFull(a.page));
  expect(outcome.code).toBe('QUOTA_EXCEEDED');
  await until(b.page, 'n', `(rows) => rows[0].n === ${outcome.acknowledged}`);
  await settle();
  const changes = await b.page.evaluate(() => window.live.changes.filter((c) => c.tables.includes('blobs')));
  expect(changes).toHaveLength(outcome.acknowledged);
  expect(new Set(changes.map((c) => c.seq)).size).toBe(outcome.acknowledged);
  expect((await state(b.page, 'n')).errors).toEqual([]);
});

test("a failed write in a group, a failed batch, a rolled-back transaction and a dead tab's transaction notify nothing", async () => {
  const name = uniqueName('live-rollback');
  const a = await openTab(name);
  const b = await openTab(name);
  const c = await openTab(name);
  await a.page.evaluate(() =>
    window.db.exec('CREATE TABLE good (v); CREATE TABLE bad (v UNIQUE); CREATE TABLE audit (v); INSERT INTO bad VALUES (1)'),
  );
  await b.page.evaluate(() => {
    window.live.hearChanges();
    window.live.watch('bad', 'SELECT v FROM bad ORDER BY v');
    window.live.watch('audit', 'SELECT v FROM audit');
    window.live.watch('good', 'SELECT count(*) AS n FROM good');
  });
  await until(b.page, 'good', '(rows) => rows[0].n === 0');
  await until(b.page, 'bad', '(rows) => rows.length === 1');

  // Two writes sent together run as one group: the failing one writes a row of `bad`, then fails.
  const grouped = await a.page.evaluate(async () => {
    const outcomes = await Promise.allSettled([
      window.db.run('INSERT INTO bad VALUES (2), (1)'),
      window.db.run('INSERT INTO good VALUES (1)'),
      window.db.batch([{ sql: 'INSERT INTO audit VALUES (1)' }, { sql: 'INSERT INTO bad VALUES (1)' }]),
    ]);
    return outcomes.map((o) => o.status);
  });
  expect(grouped).toEqual(['rejected', 'fulfilled', 'rejected']);
  const rolledBack = await a.page.evaluate(() =>
    window.db
      .transaction(async (tx) => {
        await tx.run('INSERT INTO bad VALUES (3)');
        await tx.run('INSERT INTO audit VALUES (2)');
        throw new Error('rolled back on purpose');
      })
      .then(
        () => 'committed',
        (e: Error) => e.message,
      ),
  );
  expect(rolledBack).toBe('rolled back on purpose');
  // A tab that dies inside its transaction: the leader rolls it back.
  await c.page.evaluate(async () => {
    const tx = await window.db.begin();
    await tx.run('INSERT INTO audit VALUES (3)');
    await tx.run('INSERT INTO bad VALUES (4)');
  });
  await c.page.close();
  await a.page.evaluate(() => window.db.run('INSERT INTO good VALUES (2)'));
  await until(b.page, 'good', '(rows) => rows[0].n === 2');
  await settle();

  const changes = await b.page.evaluate(() => window.live.changes);
  expect(changes.map((change) => change.tables)).toEqual([['good'], ['good']]);
  for (const id of ['bad', 'audit']) {
    const watched = await state(b.page, id);
    expect({ id, runs: watched.runs, deliveries: watched.deliveries.length }).toEqual({ id, runs: 1, deliveries: 1 });
  }
  expect(await a.page.evaluate(() => window.db.all('SELECT v FROM bad UNION ALL SELECT v FROM audit'))).toEqual([{ v: 1 }]);
});

test('a burst of commits costs a watch one more read, not one per commit, and it ends on the last commit', async () => {
  const name = uniqueName('live-burst');
  const a = await openTab(name);
  const b = await openTab(name);
  await a.page.evaluate(() => window.db.exec('CREATE TABLE t (v)'));
  await b.page.evaluate(() => window.live.watch('n', 'SELECT count(*) AS n, max(v) AS last FROM t'));
  await until(b.page, 'n', '(rows) => rows[0].n === 0');
  // While the page runs a long task it hears nothing: the notices of every commit wait in its
  // queue, as they would behind any long task of a busy page.
  const commits = 40;
  const busy = b.page.evaluate(() => {
    const end = performance.now() + 2_000;
    while (performance.now() < end);
    return Date.now();
  });
  const written = await a.page.evaluate(async (count) => {
    for (let i = 1; i <= count; i++) await window.db.run('INSERT INTO t VALUES (?)', [i]);
    return Date.now();
  }, commits);
  expect(written).toBeLessThan(await busy);
  await until(b.page, 'n', `(rows) => rows[0].n === ${commits}`);
  await settle();
  const watched = await state(b.page, 'n');
  expect(watched.deliveries.at(-1)!.rows).toEqual([{ n: commits, last: commits }]);
  // The first read, the read the first notice started, and at most one more for all the others.
  expect(watched.runs).toBeLessThanOrEqual(3);
  expect(watched.errors).toEqual([]);
});

test('deliveries are consistent snapshots at or after their commit, also for a read that waited behind a transaction', async () => {
  const name = uniqueName('live-snapshot');
  const a = await openTab(name);
  const b = await openTab(name);
  const c = await openTab(name);
  await a.page.evaluate(() => window.db.exec('CREATE TABLE pairs (k, v); CREATE TABLE counter (n); INSERT INTO counter VALUES (0)'));
  await b.page.evaluate(() => window.live.watch('sum', 'SELECT (SELECT count(*) FROM pairs) AS rows, (SELECT n FROM counter) AS n'));
  await until(b.page, 'sum', '(rows) => rows[0].n === 0');

  // Each commit adds two rows and moves the counter by one, from two tabs at once.
  const writes = 30;
  await Promise.all(
    [a, c].map(({ page }) =>
      page.evaluate(async (count) => {
        for (let i = 0; i < count; i++) {
          await window.db.batch([
            { sql: 'INSERT INTO pairs VALUES (?, 1), (?, 2)', params: [i, i] },
            { sql: 'UPDATE counter SET n = n + 1' },
          ]);
        }
      }, writes),
    ),
  );
  await until(b.page, 'sum', `(rows) => rows[0].n === ${2 * writes}`);
  const deliveries = (await state(b.page, 'sum')).deliveries.map((d) => d.rows[0] as { rows: number; n: number });
  // Never a half-applied commit, never going back.
  expect(deliveries.filter((d) => d.rows !== 2 * d.n)).toEqual([]);
  expect(deliveries.map((d) => d.n)).toEqual([...deliveries.map((d) => d.n)].sort((x, y) => x - y));

  // A watch's read that waits behind a transaction runs, when it ends, before the write queued
  // behind it too; its reply must say it saw the commit before that write, or the notice of the
  // write would look already seen.
  await c.page.evaluate(() => window.harness.openTransaction('c'));
  await b.page.evaluate(() => window.live.watch('late', 'SELECT n FROM counter'));
  await a.page.evaluate(() => {
    void window.db.run('UPDATE counter SET n = n + 1000');
  });
  await settle(200);
  expect(await b.page.evaluate(() => window.live.last('late'))).toBeNull();
  await c.page.evaluate(() => window.harness.release!(true));
  await until(b.page, 'late', `(rows) => rows[0].n === ${2 * writes + 1000}`);
});

test("a tab's own transaction: its watches see nothing before COMMIT, everything after", async () => {
  const name = uniqueName('live-own');
  const a = await openTab(name);
  const b = await openTab(name);
  await a.page.evaluate(() => window.db.exec('CREATE TABLE t (v)'));
  await b.page.evaluate(() => window.live.watch('before', 'SELECT v FROM t'));
  await until(b.page, 'before', '(rows) => rows.length === 0');
  await b.page.evaluate(async () => {
    const tx = await window.db.begin();
    await tx.run('INSERT INTO t VALUES (1)');
    (window as unknown as { tx: typeof tx }).tx = tx;
    // Started inside the transaction: its first read waits for the COMMIT.
    window.live.watch('inside', 'SELECT v FROM t');
  });
  await settle();
  expect(await b.page.evaluate(() => window.live.last('inside'))).toBeNull();
  expect((await state(b.page, 'before')).deliveries).toHaveLength(1);
  await b.page.evaluate(() => (window as unknown as { tx: { commit(): Promise<void> } }).tx.commit());
  await until(b.page, 'inside', '(rows) => rows.length === 1');
  await until(b.page, 'before', '(rows) => rows.length === 1');
  expect((await state(b.page, 'inside')).deliveries).toEqual([{ rows: [{ v: 1 }] }]);
});

test('across leader changes no commit is missed: a new epoch makes every watch read again', async () => {
  const name = uniqueName('live-failover');
  const leader = await openTab(name);
  const b = await openTab(name);
  const c = await openTab(name);
  await leader.page.evaluate(() => window.db.exec('CREATE TABLE t (v)'));
  await b.page.evaluate(() => {
    window.live.hearChanges();
    window.live.watch('t', 'SELECT count(*) AS n FROM t');
  });
  await until(b.page, 't', '(rows) => rows[0].n === 0');
  // A few commits under the first leader, so the next one's numbers start below them.
  await c.page.evaluate(async () => {
    for (let i = 0; i < 5; i++) await window.db.run('INSERT INTO t VALUES (?)', [i]);
  });
  await until(b.page, 't', '(rows) => rows[0].n === 5');
  const epoch = (await b.page.evaluate(() => window.db.status())).epoch;
  await leader.page.close();
  await c.page.evaluate(() => window.db.run('INSERT INTO t VALUES (99)'));
  await until(b.page, 't', '(rows) => rows[0].n === 6');
  const changes = await b.page.evaluate(() => window.live.changes);
  const after = changes.filter((change) => change.epoch > epoch);
  expect(after.length).toBeGreaterThan(0);
  // The new leader announced itself (seq 0, nothing changed) and told this tab commits may have been missed.
  expect(after[0]).toMatchObject({ seq: 0, tables: [], missed: true });
  expect((await state(b.page, 't')).errors).toEqual([]);
});

test('import() in one tab makes every watch of another tab read again; a keyed watch gets the diff', async () => {
  const errorsBefore = tabs().pageErrors.length;
  const name = uniqueName('live-import');
  const a = await openTab(name);
  const b = await openTab(name);
  await a.page.evaluate(() => window.db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v); INSERT INTO t VALUES (1, 'one'), (2, 'two')"));
  const image = await a.page.evaluate(async () => Array.from(await window.db.export()));
  await a.page.evaluate(() => window.db.exec("UPDATE t SET v = 'ONE' WHERE id = 1; INSERT INTO t VALUES (3, 'three')"));
  await b.page.evaluate(() => {
    window.live.watch('t', 'SELECT id, v FROM t ORDER BY id', [], 'id');
    window.live.watch('missing', 'SELECT * FROM later');
  });
  await until(b.page, 't', '(rows) => rows.length === 3');
  await a.page.evaluate((bytes) => window.db.import(new Uint8Array(bytes)), image);
  await until(b.page, 't', '(rows) => rows.length === 2');
  const watched = await state(b.page, 't');
  expect(watched.deliveries.at(-1)).toEqual({
    rows: [
      { id: 1, v: 'one' },
      { id: 2, v: 'two' },
    ],
    diff: { added: [], removed: [{ id: 3, v: 'three' }], changed: [{ id: 1, v: 'one' }] },
  });
  // A watch whose table did not exist reports it once, and recovers when another tab creates it.
  expect((await state(b.page, 'missing')).errors).toEqual(['SQLITE_ERROR']);
  await a.page.evaluate(() => window.db.exec('CREATE TABLE later (x); INSERT INTO later VALUES (42)'));
  await until(b.page, 'missing', '(rows) => rows.length === 1');
  expect((await state(b.page, 'missing')).errors).toEqual(['SQLITE_ERROR']);
  expect(tabs().pageErrors.slice(errorsBefore)).toEqual([]);
});

test('a stopped watch reads nothing more, whatever is written', async () => {
  const name = uniqueName('live-stop');
  const a = await openTab(name);
  const b = await openTab(name);
  await a.page.evaluate(() => window.db.exec('CREATE TABLE t (v)'));
  await b.page.evaluate(() => {
    window.live.watch('kept', 'SELECT count(*) AS n FROM t');
    window.live.watch('stopped', 'SELECT count(*) AS n FROM t');
  });
  await until(b.page, 'stopped', '(rows) => rows[0].n === 0');
  await b.page.evaluate(() => window.live.stop('stopped'));
  await a.page.evaluate(async () => {
    for (let i = 0; i < 5; i++) await window.db.run('INSERT INTO t VALUES (?)', [i]);
  });
  await until(b.page, 'kept', '(rows) => rows[0].n === 5');
  await settle();
  const stopped = await state(b.page, 'stopped');
  expect({ runs: stopped.runs, deliveries: stopped.deliveries.length }).toEqual({ runs: 1, deliveries: 1 });
});

const LIST = 'SELECT id, title FROM todos WHERE done = ? ORDER BY id';

/** A tab of the React page (test/tabs/react-harness.ts: the harness plus a React 19 app). */
async function openReactTab(name: string): Promise<Page> {
  const page = await tabs().openTab('/test/tabs/react.html');
  await page.evaluate((n) => window.harness.open(n), name);
  return page;
}

function shows(page: Page, text: string): Promise<unknown> {
  return page.waitForFunction((t) => window.reactHarness.text() === t, text, { timeout: 10_000 });
}

// sqlite-baton/react in a real browser with React 19: the list follows another tab's writes with no
// code of the app's own beyond the hook.
test("a React list in tab B follows tab A's writes, parameters included; unmounted, it renders no more", async () => {
  const errorsBefore = tabs().pageErrors.length;
  const name = uniqueName('react');
  const a = await openReactTab(name);
  const b = await openReactTab(name);
  await a.evaluate(() =>
    window.db.exec(
      "CREATE TABLE todos (id INTEGER PRIMARY KEY, title TEXT, done INTEGER DEFAULT 0); INSERT INTO todos (title) VALUES ('milk')",
    ),
  );
  await b.evaluate((sql) => window.reactHarness.mount(sql), LIST);
  await shows(b, 'milk');

  await a.evaluate(() => window.db.run("INSERT INTO todos (title) VALUES ('bread')"));
  await shows(b, 'milk,bread');
  await a.evaluate(() => window.db.run("UPDATE todos SET done = 1 WHERE title = 'milk'"));
  await shows(b, 'bread');
  // Another parameter: the same component shows the other rows, and keeps following.
  await b.evaluate(() => window.reactHarness.showDone(1));
  await shows(b, 'milk');
  await a.evaluate(() => window.db.run("UPDATE todos SET done = 1 WHERE title = 'bread'"));
  await shows(b, 'milk,bread');

  // Renders stay few: a new params array at each render does not restart the query.
  const renders = await b.evaluate(() => window.reactHarness.renders);
  await sleep(300);
  expect(await b.evaluate(() => window.reactHarness.renders)).toBe(renders);

  await b.evaluate(() => window.reactHarness.unmount());
  await a.evaluate(() => window.db.run("INSERT INTO todos (title, done) VALUES ('eggs', 1)"));
  await sleep(300);
  expect(await b.evaluate(() => window.reactHarness.renders)).toBe(renders);
  expect(await b.evaluate(() => window.reactHarness.text())).toBe('');
  expect(tabs().pageErrors.slice(errorsBefore)).toEqual([]);
});

test('the hook shows loading without a database, an error until the table exists, then the rows', async () => {
  const errorsBefore = tabs().pageErrors.length;
  const name = uniqueName('react-error');
  const a = await openReactTab(name);
  const b = await openReactTab(name);
  await b.evaluate((sql) => window.reactHarness.mount(sql, false), LIST);
  await shows(b, 'loading');
  await b.evaluate(() => window.reactHarness.unmount());
  await b.evaluate((sql) => window.reactHarness.mount(sql), LIST);
  await shows(b, 'error SQLITE_ERROR');
  await a.evaluate(() =>
    window.db.exec(
      "CREATE TABLE todos (id INTEGER PRIMARY KEY, title TEXT, done INTEGER DEFAULT 0); INSERT INTO todos (title) VALUES ('tea')",
    ),
  );
  await shows(b, 'tea');
  expect(tabs().pageErrors.slice(errorsBefore)).toEqual([]);
});
