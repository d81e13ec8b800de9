/**
 * A cross-origin isolated page (COOP/COEP, so SharedArrayBuffer exists): sqlite-wasm would
 * install its `opfs` and `opfs-wl` VFSes there, each starting an "async proxy" worker, and the
 * built worker, which does not ship that proxy, would warn about it. The engine turns them off
 * before init (worker/engine/sqlite-init.ts): the tab's worker is the only worker, the console
 * stays quiet, and the database works as anywhere else. What the page fetched is seen by the dev
 * server itself (a plugin of this file's session), the same for every engine.
 */
import type { Plugin } from 'vite';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { useTabs } from '../support/tabs.ts';
import { uniqueName } from '../support/unique-name.ts';

/** Every request the dev server answered: its path, `Sec-Fetch-Dest` and the path of its referrer. */
const requests: Array<{ path: string; dest: string; from: string }> = [];

function pathOf(url: string | undefined): string {
  return url ? new URL(url, 'http://localhost').pathname : '';
}
const consoleProblems: string[] = [];

function recordRequests(): Plugin {
  return {
    name: 'test:record-requests',
    configureServer(server) {
      server.middlewares.use((req, _res, next) => {
        requests.push({ path: pathOf(req.url), dest: String(req.headers['sec-fetch-dest'] ?? ''), from: pathOf(req.headers.referer) });
        next();
      });
    },
  };
}

const tabs = useTabs(
  { beforeAll, afterAll },
  {
    path: '/test/tabs/isolated/harness.html',
    vite: { plugins: [recordRequests()] },
    onConsole: ({ type, text }) => {
      if (type === 'warn' || type === 'error') consoleProblems.push(`console.${type}: ${text}`);
      return false;
    },
  },
);

test('no opfs async proxy is started and nothing is logged', async () => {
  const page = await tabs().openTab();
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
  const before = requests.length;
  await page.evaluate((name) => window.harness.open(name), uniqueName('isolated'));
  await page.evaluate(() => window.db.run('INSERT INTO writes (tab, seq) VALUES (?, ?)', ['a', 1]));
  expect(await page.evaluate(() => window.db.get('SELECT count(*) AS n FROM writes'))).toEqual({ n: 1 });
  expect(requests.filter((r) => /sqlite3-opfs-async-proxy/.test(r.path))).toEqual([]);
  // Workers the page started while opening: its own alone. (A worker's module imports are fetched
  // as `worker` too, but from the importing module, not from the page.)
  const started = requests.slice(before).filter((r) => r.dest === 'worker' && r.from === '/test/tabs/isolated/harness.html');
  expect(started.map((r) => r.path)).toEqual(['/worker/entry.ts']);
  expect(consoleProblems).toEqual([]);
});
