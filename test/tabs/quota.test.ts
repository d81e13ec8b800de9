/**
 * Past the origin's storage quota, writes reject with QUOTA_EXCEEDED (not a bare I/O error),
 * what was acknowledged stays, and the database reopens with integrity_check ok; on OPFS and on
 * IndexedDB, whose leader puts memory back in line with what IndexedDB kept when a save fails.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { useTabs } from '../support/tabs.ts';

const tabs = useTabs({ beforeAll, afterAll });

test.each(['opfs', 'indexeddb'] as const)(
  'writes past a shrunken quota on %s reject with QUOTA_EXCEEDED and nothing acknowledged is lost',
  async (storage) => {
    const page = await tabs().openTab();
    const name = `quota-${storage}-${Date.now().toString(36)}`;
    const cdp = await tabs().context.newCDPSession(page);
    const usage = await page.evaluate(async () => (await navigator.storage.estimate()).usage ?? 0);
    // Before the database opens: Chromium applies the override to IndexedDB connections opened after it.
    await cdp.send('Storage.overrideQuotaForOrigin', { origin: tabs().baseUrl, quotaSize: usage + 3 * 1024 * 1024 });
    await page.evaluate(([n, s]) => window.harness.open(n, { storage: s }), [name, storage] as const);
    await page.evaluate(() => window.db.exec('CREATE TABLE blobs (id INTEGER PRIMARY KEY, b BLOB)'));

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

    await cdp.send('Storage.overrideQuotaForOrigin', { origin: tabs().baseUrl });
    // Before any reopen: what the leader serves after the failed write is what was acknowledged.
    expect(await page.evaluate(() => window.db.get<{ n: number }>('SELECT count(*) AS n FROM blobs'))).toEqual({ n: outcome.acknowledged });
    const after = await page.evaluate(
      async ([n, s]) => {
        await window.db.close();
        const db = await window.baton.openDatabase(n, { storage: s });
        const count = await db.get<{ n: number }>('SELECT count(*) AS n FROM blobs');
        const integrity = await db.get<{ integrity_check: string }>('PRAGMA integrity_check');
        await db.run("INSERT INTO blobs (b) VALUES (X'01')");
        await db.close();
        return { count: count?.n, integrity: integrity?.integrity_check };
      },
      [name, storage] as const,
    );
    expect(after).toEqual({ count: outcome.acknowledged, integrity: 'ok' });
  },
);
