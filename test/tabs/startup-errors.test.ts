/**
 * Start-up failures a deployment can cause, each rejecting openDatabase with OPEN_FAILED that
 * names what is missing: here sqlite3.wasm, answered by the server with a 404 or with a page that
 * is not WebAssembly (a single-page app's fallback). The worker's fetches are answered by
 * Playwright's routing; everything else is the real dev server.
 */
import { afterEach, beforeAll, afterAll, expect, test } from 'vitest';
import { unique, useTabs } from '../support/tabs.ts';

const tabs = useTabs({ beforeAll, afterAll });

afterEach(async () => {
  await tabs().context.unrouteAll();
});

async function openFailure(name: string): Promise<{ code?: string; message: string }> {
  const page = await tabs().openTab();
  return page.evaluate(
    (n) =>
      window.baton.openDatabase(n).then(
        () => ({ message: 'opened' }),
        (e: { code?: string; message: string }) => ({ code: e.code, message: e.message }),
      ),
    name,
  );
}

test('sqlite3.wasm missing (404): OPEN_FAILED naming its URL and the status', async () => {
  await tabs().context.route(/\/sqlite3\.wasm(\?|$)/, (route) => route.fulfill({ status: 404, body: 'Not Found' }));
  const error = await openFailure(unique('wasm-404'));
  expect(error.code).toBe('OPEN_FAILED');
  expect(error.message).toMatch(/sqlite3\.wasm from http:\/\/127\.0\.0\.1:\d+\/\S*sqlite3\.wasm \(HTTP 404\)/);
});

test('an HTML page served as sqlite3.wasm: OPEN_FAILED naming its URL and what was wrong', async () => {
  await tabs().context.route(/\/sqlite3\.wasm(\?|$)/, (route) =>
    route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><title>app</title>' }),
  );
  const error = await openFailure(unique('wasm-html'));
  expect(error.code).toBe('OPEN_FAILED');
  expect(error.message).toMatch(/sqlite3\.wasm from http:\/\/127\.0\.0\.1:\d+\/\S*sqlite3\.wasm \(HTTP 200\)/);
  expect(error.message).toContain('CompileError');
});
