/**
 * A private window: Chromium's incognito keeps OPFS (in memory), Firefox's private browsing blocks
 * it (navigator.storage.getDirectory() rejects with a SecurityError, though every OPFS API is
 * there). The default storage must then fall back to IndexedDB (which a private window keeps
 * until it closes) and say so, as it does where OPFS is missing, and `storage: 'opfs'` must fail
 * with OPFS_UNAVAILABLE, never with a bare open error.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { useTabs } from '../support/tabs.ts';
import { uniqueName } from '../support/unique-name.ts';

const tabs = useTabs({ beforeAll, afterAll }, { profile: 'memory' });

test('in a private window the default takes OPFS where the engine allows it there, else IndexedDB with a fallback event', async () => {
  const page = await tabs().openTab();
  const result = await page.evaluate(async (name) => {
    const opfs = await navigator.storage.getDirectory().then(
      () => true,
      () => false,
    );
    const db = await window.baton.openDatabase(name);
    const reasons: string[] = [];
    db.addEventListener('fallback', (e) => reasons.push((e as CustomEvent<{ reason: string }>).detail.reason));
    await db.exec('CREATE TABLE t (x)');
    await db.run('INSERT INTO t VALUES (1)');
    const rows = await db.all('SELECT x FROM t');
    await new Promise((r) => setTimeout(r, 50));
    await db.close();
    const strict = await window.baton.openDatabase(`${name}-strict`, { storage: 'opfs' }).then(
      async (opened) => {
        await opened.close();
        return 'opened';
      },
      (e: unknown) => (e as { code?: string }).code ?? String(e),
    );
    return { opfs, storage: db.storage, reasons, rows, strict };
  }, uniqueName('private'));
  console.log(`[${page.engine}] OPFS in a private window: ${result.opfs ? 'usable' : 'blocked'}`);
  expect(result.rows).toEqual([{ x: 1 }]);
  if (result.opfs) {
    expect(result).toMatchObject({ storage: 'opfs', reasons: [], strict: 'opened' });
  } else {
    expect(result).toMatchObject({ storage: 'indexeddb', strict: 'OPFS_UNAVAILABLE' });
    expect(result.reasons).toHaveLength(1);
    expect(result.reasons[0]).toMatch(/OPFS/);
  }
});
