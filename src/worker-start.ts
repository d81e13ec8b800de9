import { SqliteError, invalidArgument } from './errors.ts';

/**
 * Where a tab's worker comes from: sqlite-baton's own worker by default, or what the app says
 * with `openDatabase(name, { worker })`. Every worker of the library (a tab's, and the short-lived
 * one of readDatabaseFile/deleteDatabase) is started here, so that a worker that cannot start
 * fails the same way everywhere: OPEN_FAILED naming the script it tried.
 */

/**
 * The `worker` option: the URL of sqlite-baton's prebuilt worker (`sqlite-baton/worker`, the
 * package's dist/worker.js, with dist/sqlite3.wasm next to it), as a string (resolved against the
 * page's URL, as `new Worker()` does) or a URL; or a function that returns a new `Worker` running
 * it, called each time a worker is needed (again after a worker died).
 */
export type WorkerSource = string | URL | (() => Worker);

/**
 * The default worker's path from this module, as a value the bundlers do not read as a file to
 * emit (only the literal inside `new Worker(...)` below is). build/worker-url.ts rewrites both
 * to the built worker, './worker.js'.
 */
const OWN_WORKER_PATH = '../worker/entry.ts';

export interface StartedWorker {
  readonly worker: Worker;
  /**
   * Rejects with OPEN_FAILED naming the script when the worker fails to load or throws at the
   * top level: race it against the first call, which would otherwise never be answered.
   */
  readonly failed: Promise<never>;
  /** Call once the worker answered: its later errors are no longer a failure to start. */
  started(): void;
}

/** Throws INVALID_ARGUMENT naming `field` unless `value` is a {@link WorkerSource}. */
export function checkWorkerSource(field: string, value: unknown): void {
  if (typeof value === 'function' || value instanceof URL || (typeof value === 'string' && value.length > 0)) return;
  throw invalidArgument(
    `${field} must be the URL of sqlite-baton's worker (sqlite-baton/worker, a string or a URL) or a function returning a new Worker, got ${describe(value)}`,
  );
}

function describe(value: unknown): string {
  if (value === null || typeof value !== 'object') return typeof value === 'string' ? JSON.stringify(value) : String(value);
  return Object.prototype.toString.call(value);
}

/**
 * Where the default worker is when no bundler moved it. A bundler rewrites the worker's URL to
 * its own copy, which the page cannot read back. Not written as `new URL(path, import.meta.url)`:
 * bundlers that fold constants (Turbopack) would emit the worker file a second time for it.
 */
function unbundledWorkerUrl(): string {
  const here = String(import.meta.url);
  return new URL(OWN_WORKER_PATH, here.slice(0, here.lastIndexOf('/') + 1)).href;
}

/** The URL a relative worker URL is resolved against: the page's base URL, as for `new Worker(url)`. */
function baseUrl(): string {
  return globalThis.document?.baseURI ?? globalThis.location.href;
}

export function startWorker(source: WorkerSource | undefined, name: string): StartedWorker {
  let script: string;
  let worker: Worker;
  // Chromium refuses a script of another origin at once (SecurityError), Firefox only with the
  // error event: both failures get the same hint.
  let otherOrigin = false;
  try {
    if (source === undefined) {
      script = `sqlite-baton's own worker (dist/worker.js: ${unbundledWorkerUrl()}, unless a bundler moved it)`;
      worker = new Worker(new URL('../worker/entry.ts', import.meta.url), { type: 'module', name });
    } else if (typeof source === 'function') {
      script = "the `worker` option's function";
      const made: unknown = source();
      if (!(made instanceof Worker))
        throw invalidArgument(`the \`worker\` option's function must return a new Worker, got ${describe(made)}`);
      worker = made;
    } else {
      const url = new URL(source, baseUrl());
      script = url.href;
      otherOrigin = /^https?:$/.test(url.protocol) && url.origin !== globalThis.location.origin;
      worker = new Worker(url, { type: 'module', name });
    }
  } catch (e) {
    if (e instanceof SqliteError) throw e;
    throw new SqliteError(
      'OPEN_FAILED',
      `the sqlite-baton worker could not be started from ${script!}: ${messageOf(e)}${otherOrigin || isSecurityError(e) ? CROSS_ORIGIN_HINT : ''}`,
    );
  }
  let onError!: (event: Event) => void;
  const failed = new Promise<never>((_, reject) => {
    onError = (event) => {
      // A script that did not load (404, not JavaScript, cross-origin) gives a bare Event; an
      // exception at its top level, an ErrorEvent with the message. Either is this rejection now,
      // not an uncaught error of the page as well.
      event.preventDefault();
      const detail = event instanceof ErrorEvent && event.message ? event.message : 'the script did not load, or threw before it ran';
      const hint = otherOrigin ? CROSS_ORIGIN_HINT : '';
      reject(new SqliteError('OPEN_FAILED', `the sqlite-baton worker failed to start from ${script}: ${detail}${hint}`));
    };
  });
  failed.catch(() => undefined);
  worker.addEventListener('error', onError);
  return { worker, failed, started: () => worker.removeEventListener('error', onError) };
}

function messageOf(error: unknown): string {
  return (error instanceof Error ? `${error.name}: ${error.message}` : String(error)).replace(/\.$/, '');
}

function isSecurityError(error: unknown): boolean {
  return (error as { name?: unknown } | null)?.name === 'SecurityError';
}

/** A worker must come from the page's own origin: the usual mistake when the library is loaded from a CDN. */
const CROSS_ORIGIN_HINT =
  ". A worker's script must come from the page's own origin (a library loaded from a CDN cannot start its worker from there): " +
  "serve sqlite-baton's dist/worker.js and dist/sqlite3.wasm from this origin and pass openDatabase(name, { worker: '/path/to/worker.js' })";
