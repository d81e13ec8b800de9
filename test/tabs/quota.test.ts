/**
 * Past the origin's storage quota, writes reject with QUOTA_EXCEEDED (not a bare I/O error),
 * what was acknowledged stays, and the database reopens with integrity_check ok and takes writes
 * again once room is made (test/support/quota.ts: the session's quota, a ballast file deleted
 * after, in each engine).
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { SESSION_QUOTA, withShrunkQuota, writeBlobsUntilFull } from '../support/quota.ts';
import { useTabs } from '../support/tabs.ts';
import { uniqueName } from '../support/unique-name.ts';

const tabs = useTabs({ beforeAll, afterAll }, { quotaBytes: SESSION_QUOTA });

test('writes past the quota reject with QUOTA_EXCEEDED and nothing acknowledged is lost', async () => {
  const page = await tabs().openTab();
  const name = uniqueName('quota');
  await page.evaluate((n) => window.harness.open(n), name);
  await page.evaluate(() => window.db.exec('CREATE TABLE blobs (id INTEGER PRIMARY KEY, b BLOB)'));
  const outcome = await withShrunkQuota(tabs(), page, 3 * 1024 * 1024, () => writeBlobsUntilFull(page));
  expect(outcome.code).toBe('QUOTA_EXCEEDED');
  expect(outcome.acknowledged).toBeGreaterThan(0);

  const after = await page.evaluate(async (n) => {
    await window.db.close();
    const db = await window.baton.openDatabase(n);
    const count = await db.get<{ n: number }>('SELECT count(*) AS n FROM blobs');
    const integrity = await db.get<{ integrity_check: string }>('PRAGMA integrity_check');
    await db.run("INSERT INTO blobs (b) VALUES (X'01')");
    await db.close();
    return { count: count?.n, integrity: integrity?.integrity_check };
  }, name);
  expect(after).toEqual({ count: outcome.acknowledged, integrity: 'ok' });
});
