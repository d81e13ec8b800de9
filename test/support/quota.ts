/**
 * Filling the origin's storage quota in a multi-tab test (Node side): the quota shrunk through
 * DevTools to what the origin uses plus `headroom`, for as long as `body` runs, and a tab writing
 * 256 KiB blobs until a write fails.
 */
import type { Page } from 'playwright';
import type { TabsSession } from './tabs.ts';

export async function withShrunkQuota<T>(tabs: TabsSession, page: Page, headroom: number, body: () => Promise<T>): Promise<T> {
  const cdp = await tabs.context.newCDPSession(page);
  const usage = await page.evaluate(async () => (await navigator.storage.estimate()).usage ?? 0);
  await cdp.send('Storage.overrideQuotaForOrigin', { origin: tabs.baseUrl, quotaSize: usage + headroom });
  try {
    return await body();
  } finally {
    await cdp.send('Storage.overrideQuotaForOrigin', { origin: tabs.baseUrl });
  }
}

/** Autocommit inserts of 256 KiB into `blobs (b)` from `page`'s `window.db`, one at a time, until one fails (at most 200). */
export function writeBlobsUntilFull(page: Page): Promise<{ acknowledged: number; code: string | undefined; message: string }> {
  return page.evaluate(async () => {
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
}
