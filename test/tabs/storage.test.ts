/**
 * Where OPFS cannot be used (here: a non-secure origin, which has neither OPFS nor Web Locks),
 * the default opens in IndexedDB and says so; asking for OPFS explicitly fails with a typed error.
 * Never a silent fallback, and never a private in-memory database unless asked for.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Tab } from '../support/tab.ts';
import { startTabs, type TabsSession } from '../support/tabs.ts';

let tabs: TabsSession;
let page: Tab;

beforeAll(async () => {
  // http://insecure.test is not a secure context (unlike http://127.0.0.1), yet served locally.
  tabs = await startTabs({ hostAliases: ['insecure.test'] });
  const port = new URL(tabs.baseUrl).port;
  page = await tabs.openTab(`http://insecure.test:${port}/test/tabs/harness.html`);
});
afterAll(async () => {
  await tabs?.close();
});

test('the page really is a non-secure context without OPFS or Web Locks', async () => {
  expect(await page.evaluate(() => ({ secure: isSecureContext, locks: 'locks' in navigator, opfs: !!navigator.storage }))).toEqual({
    secure: false,
    locks: false,
    opfs: false,
  });
});

test('by default it opens in IndexedDB, reports it, fires a fallback event, and works', async () => {
  const result = await page.evaluate(async () => {
    const db = await window.baton.openDatabase(`fallback-${Date.now()}`);
    const reasons: string[] = [];
    db.addEventListener('fallback', (e) => {
      const detail = (e as CustomEvent<{ reason: string; storage: string }>).detail;
      reasons.push(`${detail.storage}: ${detail.reason}`);
    });
    await db.exec('CREATE TABLE t (x)');
    await db.run('INSERT INTO t VALUES (?)', [1]);
    const rows = await db.all('SELECT x FROM t');
    const status = await db.status();
    await new Promise((r) => setTimeout(r, 50));
    await db.close();
    return { storage: db.storage, statusStorage: status.storage, rows, reasons };
  });
  expect(result.storage).toBe('indexeddb');
  expect(result.statusStorage).toBe('indexeddb');
  expect(result.rows).toEqual([{ x: 1 }]);
  expect(result.reasons).toHaveLength(1);
  expect(result.reasons[0]).toMatch(/^indexeddb: .*secure context/);
});

test("storage: 'opfs' rejects with OPFS_UNAVAILABLE instead of falling back", async () => {
  const error = await page.evaluate(async () => {
    try {
      await window.baton.openDatabase('strict', { storage: 'opfs' });
      return null;
    } catch (e) {
      return {
        isSqliteError: e instanceof window.baton.SqliteError,
        code: (e as { code?: string }).code,
        message: String((e as Error).message),
      };
    }
  });
  expect(error).toMatchObject({ isSqliteError: true, code: 'OPFS_UNAVAILABLE' });
  expect(error!.message).toMatch(/OPFS/);
});

test("storage: 'memory' works there too", async () => {
  const storage = await page.evaluate(async () => {
    const db = await window.baton.openDatabase('mem', { storage: 'memory' });
    await db.exec('CREATE TABLE t (x)');
    await db.close();
    return db.storage;
  });
  expect(storage).toBe('memory');
});
