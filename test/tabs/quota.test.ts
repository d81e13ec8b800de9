/**
 * Past the origin's storage quota, writes reject with QUOTA_EXCEEDED (not a bare I/O error),
 * what was acknowledged stays, and the database reopens with integrity_check ok and takes writes
 * again once room is made (test/support/quota.ts: the session's quota, a ballast file deleted
 * after, in each engine); on OPFS and on IndexedDB, whose leader puts memory back in line with
 * what IndexedDB kept when a save fails.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { SESSION_QUOTA, withShrunkQuota, writeBlobsUntilFull } from '../support/quota.ts';
import { useTabs } from '../support/tabs.ts';
import { uniqueName } from '../support/unique-name.ts';

const tabs = useTabs({ beforeAll, afterAll }, { quotaBytes: SESSION_QUOTA });

test.each(['opfs', 'indexeddb'] as const)(
  'writes past a shrunken quota on %s reject with QUOTA_EXCEEDED and nothing acknowledged is lost',
  async (storage) => {
    const page = await tabs().openTab();
    const name = uniqueName(`quota-${storage}`);
    const outcome = await withShrunkQuota(tabs(), page, 3 * 1024 * 1024, async () => {
      await page.evaluate(([n, s]) => window.harness.open(n, { storage: s }), [name, storage] as const);
      await page.evaluate(() => window.db.exec('CREATE TABLE blobs (id INTEGER PRIMARY KEY, b BLOB)'));
      const filled = await writeBlobsUntilFull(page);
      // Before any reopen: what the leader serves after the failed write is what was acknowledged.
      const served = await page.evaluate(() => window.db.get<{ n: number }>('SELECT count(*) AS n FROM blobs'));
      return { ...filled, served: served?.n };
    });
    expect(outcome.code).toBe('QUOTA_EXCEEDED');
    expect(outcome.acknowledged).toBeGreaterThan(0);
    expect(outcome.served).toBe(outcome.acknowledged);

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
