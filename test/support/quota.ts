/**
 * Filling the origin's storage quota in a multi-tab test (Node side), the same way in every
 * engine. The session caps the origin's quota from its start (`quotaBytes: SESSION_QUOTA`:
 * DevTools' quota override in Chromium, the quota manager's limit at start-up in Firefox, which
 * cannot change a quota later); `withShrunkQuota` leaves only `headroom` of it free while `body`
 * runs, by writing a ballast file into the origin's OPFS, and deletes it afterwards: room made as
 * an app would, by deleting other data. The ballast is sized from the session's quota, not from
 * `navigator.storage.estimate().quota`: Chromium's estimate does not show DevTools' override.
 */
import type { BrowserSession } from './browser-session.ts';
import type { Tab } from './tab.ts';

/** The quota a session that fills it is started with: Firefox gives a site no less than 10 MB. */
export const SESSION_QUOTA = 16 * 1024 * 1024;

const BALLAST = 'quota-ballast';

export async function withShrunkQuota<T>(session: BrowserSession, page: Tab, headroom: number, body: () => Promise<T>): Promise<T> {
  if (session.quotaBytes === undefined) throw new Error('withShrunkQuota needs a session started with quotaBytes: SESSION_QUOTA');
  await page.evaluate(
    async ([file, quota, room]) => {
      const { usage = 0 } = await navigator.storage.estimate();
      const bytes = Math.max(0, quota - usage - room);
      const handle = await (await navigator.storage.getDirectory()).getFileHandle(file, { create: true });
      const writable = await handle.createWritable();
      // In chunks: one buffer the size of the quota is more than a test needs to hold.
      const chunk = new Uint8Array(1024 * 1024);
      for (let left = bytes; left > 0; left -= chunk.length) await writable.write(left >= chunk.length ? chunk : chunk.subarray(0, left));
      await writable.close();
    },
    [BALLAST, session.quotaBytes, headroom] as const,
  );
  try {
    return await body();
  } finally {
    await page.evaluate(async (file) => (await navigator.storage.getDirectory()).removeEntry(file), BALLAST);
  }
}

/** Autocommit inserts of 256 KiB into `blobs (b)` from `page`'s `window.db`, one at a time, until one fails (at most 200). */
export function writeBlobsUntilFull(page: Tab): Promise<{ acknowledged: number; code: string | undefined; message: string }> {
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
