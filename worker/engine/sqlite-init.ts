import sqlite3InitModule, { type Sqlite3Static } from '@sqlite.org/sqlite-wasm';
import { SqliteError } from '../../src/errors.ts';

/**
 * Starting sqlite-wasm in this worker: only the VFS the library uses, and a failure to load its
 * sqlite3.wasm told as what it is.
 */

const quiet = () => undefined;

/**
 * sqlite-wasm's settings, read once at init from this global (which it then deletes):
 *  - `disable`: sqlite-wasm installs its `opfs` and `opfs-wl` VFSes wherever SharedArrayBuffer
 *    exists (cross-origin isolated pages), each starting an "async proxy" worker that the built
 *    worker does not ship (build/sqlite-wasm-trim.ts). The library uses `opfs-sahpool` only.
 *  - its console hooks, silenced from the start: library code does not log (oo1 warns of every
 *    failed step, which the library turns into a SqliteError for the caller anyway).
 */
const API_CONFIG = {
  disable: { vfs: { opfs: true, 'opfs-vfs': true, 'opfs-wl': true } },
  log: quiet,
  warn: quiet,
  error: quiet,
  debug: quiet,
};

export async function initSqlite(): Promise<Sqlite3Static> {
  (globalThis as { sqlite3ApiConfig?: unknown }).sqlite3ApiConfig = API_CONFIG;
  try {
    return await sqlite3InitModule();
  } catch (e) {
    // Everything init does that can fail is fetching and compiling the wasm (Emscripten's
    // "Aborted(...)" RuntimeError): a missing file, an HTML page served in its place, another build.
    throw new SqliteError(
      'OPEN_FAILED',
      `sqlite-wasm could not load ${wasmDescription()}: ${reason(e)}. ` +
        "Serve sqlite-baton's dist/sqlite3.wasm (as application/wasm) next to its dist/worker.js, or let the bundler emit it",
    );
  }
}

/** Emscripten's abort message without its advice to rebuild sqlite-wasm, which is no use to an app. */
function reason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\s*Build with -sASSERTIONS for more info\.?$/, '').replace(/\.$/, '');
}

/**
 * Which sqlite3.wasm was tried: sqlite-wasm computes its URL inside its module (a bundler rewrites
 * that to its own asset's URL), so it is read back from the worker's resource timing, where the
 * fetch left its URL and HTTP status. The worker fetches nothing else before init.
 */
function wasmDescription(): string {
  const fetched = performance
    .getEntriesByType('resource')
    .filter((entry): entry is PerformanceResourceTiming => 'initiatorType' in entry)
    .filter((entry) => entry.initiatorType === 'fetch' || entry.initiatorType === 'xmlhttprequest');
  const wasm = fetched.findLast((entry) => /\.wasm([?#]|$)/.test(entry.name)) ?? fetched.at(-1);
  if (!wasm) return 'its sqlite3.wasm (no request for it was made)';
  const status = wasm.responseStatus ? ` (HTTP ${wasm.responseStatus})` : '';
  return `its sqlite3.wasm from ${wasm.name}${status}`;
}
