/**
 * Past the origin's storage quota, writes reject with QUOTA_EXCEEDED (not a bare I/O error),
 * what was acknowledged stays, and the database reopens with integrity_check ok and takes writes
 * again once room is made. The quota is the session's (`quotaBytes`: DevTools' quota override in
 * Chromium, the quota manager's limit at start-up in Firefox); room is made as an app would, by
 * deleting other data (a ballast file written first).
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { useTabs } from '../support/tabs.ts';
import { uniqueName } from '../support/unique-name.ts';

// Firefox gives a site no less than 10 MB.
const tabs = useTabs({ beforeAll, afterAll }, { quotaBytes: 12 * 1024 * 1024 });

const BALLAST = 'quota-test-ballast';

test('writes past the quota reject with QUOTA_EXCEEDED and nothing acknowledged is lost', async () => {
  const page = await tabs().openTab();
  const name = uniqueName('quota');
  await page.evaluate((n) => window.harness.open(n), name);
  await page.evaluate(() => window.db.exec('CREATE TABLE blobs (id INTEGER PRIMARY KEY, b BLOB)'));
  await page.evaluate(async (file) => {
    const handle = await (await navigator.storage.getDirectory()).getFileHandle(file, { create: true });
    const writable = await handle.createWritable();
    await writable.write(new Uint8Array(6 * 1024 * 1024));
    await writable.close();
  }, BALLAST);

  const outcome = await page.evaluate(async () => {
    let acknowledged = 0;
    for (let i = 0; i < 200; i++) {
      try {
        await window.db.run('INSERT INTO blobs (b) VALUES (randomblob(256 * 1024))');
        acknowledged++;
      } catch (e) {
        return { acknowledged, code: (e as { code?: string }).code, message: String((e as Error).message) };
      }
    }
    return { acknowledged, code: 'none', message: '' };
  });
  expect(outcome.code).toBe('QUOTA_EXCEEDED');
  expect(outcome.acknowledged).toBeGreaterThan(0);

  const after = await page.evaluate(
    async ([n, file]) => {
      await window.db.close();
      await (await navigator.storage.getDirectory()).removeEntry(file);
      const db = await window.baton.openDatabase(n);
      const count = await db.get<{ n: number }>('SELECT count(*) AS n FROM blobs');
      const integrity = await db.get<{ integrity_check: string }>('PRAGMA integrity_check');
      await db.run("INSERT INTO blobs (b) VALUES (X'01')");
      await db.close();
      return { count: count?.n, integrity: integrity?.integrity_check };
    },
    [name, BALLAST] as const,
  );
  expect(after).toEqual({ count: outcome.acknowledged, integrity: 'ok' });
});
