/**
 * Start-up failures a deployment can cause, each rejecting openDatabase with OPEN_FAILED that
 * names what is missing: here sqlite3.wasm, answered by the server with a 404 or with a page that
 * is not WebAssembly (a single-page app's fallback). The dev server itself answers so (a plugin of
 * this file's session), the same for every engine; everything else it serves as usual.
 */
import type { Plugin } from 'vite';
import { afterEach, beforeAll, afterAll, expect, test } from 'vitest';
import { useTabs } from '../support/tabs.ts';
import { uniqueName } from '../support/unique-name.ts';

/** How the server answers a request for sqlite3.wasm; undefined: as usual. */
let wasmAnswer: { status: number; contentType: string; body: string } | undefined;

function answerWasm(): Plugin {
  return {
    name: 'test:answer-sqlite3-wasm',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        if (!wasmAnswer || !/\/sqlite3\.wasm(\?|$)/.test(req.url ?? '')) return next();
        res.statusCode = wasmAnswer.status;
        res.setHeader('Content-Type', wasmAnswer.contentType);
        // Never kept: the next test's answer differs.
        res.setHeader('Cache-Control', 'no-store');
        res.end(wasmAnswer.body);
      });
    },
  };
}

const tabs = useTabs({ beforeAll, afterAll }, { vite: { plugins: [answerWasm()] } });

afterEach(() => {
  wasmAnswer = undefined;
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
  wasmAnswer = { status: 404, contentType: 'text/plain', body: 'Not Found' };
  const error = await openFailure(uniqueName('wasm-404'));
  expect(error.code).toBe('OPEN_FAILED');
  expect(error.message).toMatch(/sqlite3\.wasm from http:\/\/127\.0\.0\.1:\d+\/\S*sqlite3\.wasm \(HTTP 404\)/);
});

test('an HTML page served as sqlite3.wasm: OPEN_FAILED naming its URL and what was wrong', async () => {
  wasmAnswer = { status: 200, contentType: 'text/html', body: '<!doctype html><title>app</title>' };
  const error = await openFailure(uniqueName('wasm-html'));
  expect(error.code).toBe('OPEN_FAILED');
  expect(error.message).toMatch(/sqlite3\.wasm from http:\/\/127\.0\.0\.1:\d+\/\S*sqlite3\.wasm \(HTTP 200\)/);
  expect(error.message).toContain('CompileError');
});
