/**
 * sqlite-baton/react in real Chromium with React 19: a list rendered by useQuery in one tab
 * follows another tab's writes, with no code of the app's own beyond the hook.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Page } from 'playwright';
import { useTabs, unique } from '../support/tabs.ts';

const tabs = useTabs({ beforeAll, afterAll }, { path: '/test/tabs/react.html' });

const LIST = 'SELECT id, title FROM todos WHERE done = ? ORDER BY id';

async function openTab(name: string): Promise<Page> {
  const page = await tabs().openTab();
  await page.evaluate((n) => window.harness.open(n), name);
  return page;
}

function shows(page: Page, text: string): Promise<unknown> {
  return page.waitForFunction((t) => window.reactHarness.text() === t, text, { timeout: 10_000 });
}

test("a React list in tab B follows tab A's writes, parameters included; unmounted, it reads no more", async () => {
  const name = unique('react');
  const a = await openTab(name);
  const b = await openTab(name);
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
  await new Promise((r) => setTimeout(r, 300));
  expect(await b.evaluate(() => window.reactHarness.renders)).toBe(renders);

  await b.evaluate(() => window.reactHarness.unmount());
  await a.evaluate(() => window.db.run("INSERT INTO todos (title, done) VALUES ('eggs', 1)"));
  await new Promise((r) => setTimeout(r, 300));
  expect(await b.evaluate(() => window.reactHarness.renders)).toBe(renders);
  expect(await b.evaluate(() => window.reactHarness.text())).toBe('');
  expect(tabs().pageErrors).toEqual([]);
});

test('the hook shows loading without a database, an error until the table exists, then the rows', async () => {
  const name = unique('react-error');
  const a = await openTab(name);
  const b = await openTab(name);
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
  expect(tabs().pageErrors).toEqual([]);
});
