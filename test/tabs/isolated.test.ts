/**
 * A cross-origin isolated page (COOP/COEP, so SharedArrayBuffer exists): sqlite-wasm would
 * install its `opfs` and `opfs-wl` VFSes there, each starting an "async proxy" worker, and the
 * built worker, which does not ship that proxy, would warn about it. The engine turns them off
 * before init (worker/engine/sqlite-init.ts): the tab's worker is the only worker, the console
 * stays quiet, and the database works as anywhere else.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { unique, useTabs } from '../support/tabs.ts';

const tabs = useTabs({ beforeAll, afterAll }, { path: '/test/tabs/isolated/harness.html' });

test('no opfs async proxy is started and nothing is logged', async () => {
  const seen: string[] = [];
  tabs().context.on('request', (request) => {
    if (/sqlite3-opfs-async-proxy/.test(request.url())) seen.push(`request ${request.url()}`);
  });
  tabs().context.on('console', (message) => {
    if (message.type() === 'warning' || message.type() === 'error') seen.push(`console.${message.type()}: ${message.text()}`);
  });
  const page = await tabs().openTab();
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
  const workers: string[] = [];
  page.on('worker', (worker) => workers.push(worker.url()));
  await page.evaluate((name) => window.harness.open(name), unique('isolated'));
  await page.evaluate(() => window.db.run('INSERT INTO writes (tab, seq) VALUES (?, ?)', ['a', 1]));
  expect(await page.evaluate(() => window.db.get('SELECT count(*) AS n FROM writes'))).toEqual({ n: 1 });
  expect(workers).toEqual([expect.stringContaining('/worker/entry.ts')]);
  expect(seen).toEqual([]);
});
