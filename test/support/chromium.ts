/**
 * Finds and launches a Chromium for the tests (Node side).
 *
 * Plain erasable TypeScript: Node 24 can run this file directly with its native type stripping
 * (no enums, namespaces or parameter properties; type-only imports use `import type`).
 *
 * Resolution order (first hit wins, result cached per process and passed on to child processes):
 *   1. env CHROME_PATH
 *   2. Playwright's own downloaded Chromium (`npx playwright install chromium`), if present
 *   3. a system Chrome/Chromium on PATH or at a well-known location
 *   4. @sparticuz/chromium (a Chromium shipped inside the npm package; unpacked into the temp dir)
 */
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, LaunchOptions } from 'playwright';
import { findExecutable, isExecutable } from './executable.ts';
import { sleep } from './sleep.ts';

/** Headless flags that keep Chromium quiet on a machine with no network. */
export const CHROMIUM_ARGS: string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Once resolved, the path is put in this variable so that processes spawned later
 * (Vitest workers, for instance) skip the search. CHROME_PATH stays the user's own override.
 */
const RESOLVED_ENV = 'SQLITE_BATON_CHROMIUM_RESOLVED';

const SYSTEM_NAMES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable', 'chrome'];
const SYSTEM_PATHS = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

/** True when the binary starts and prints its version (catches half-unpacked files). */
function runsVersion(path: string): boolean {
  try {
    execFileSync(path, ['--version'], { stdio: 'pipe', timeout: 15_000 });
    return true;
  } catch {
    return false;
  }
}

async function playwrightChromium(): Promise<string | undefined> {
  try {
    const { chromium } = await import('playwright');
    const path = chromium.executablePath();
    return path && isExecutable(path) ? path : undefined;
  } catch {
    return undefined;
  }
}

function systemChromium(): string | undefined {
  return findExecutable(SYSTEM_NAMES, SYSTEM_PATHS);
}

/**
 * @sparticuz/chromium unpacks its binary to `<tmpdir>/chromium` and, on later calls, returns that
 * path as soon as the file EXISTS, even half-written. Two processes unpacking at once (or an
 * interrupted first run) would hand out a broken binary, so unpack under a cross-process lock and
 * check that the result runs.
 */
async function sparticuzChromium(): Promise<string> {
  const lockDir = join(tmpdir(), '.sqlite-baton-chromium.lock');
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      mkdirSync(lockDir);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      try {
        // A lock older than 3 minutes belongs to a process that died mid-unpack.
        if (Date.now() - statSync(lockDir).mtimeMs > 180_000) rmSync(lockDir, { recursive: true, force: true });
      } catch {
        // raced with its owner removing it: just retry
      }
      if (Date.now() > deadline) throw new Error(`Timed out waiting for ${lockDir}`);
      await sleep(200);
    }
  }
  try {
    const { default: Chromium } = await import('@sparticuz/chromium');
    let path = await Chromium.executablePath();
    if (!runsVersion(path)) {
      // Left over from an interrupted unpack: remove it and unpack again, once.
      rmSync(path, { force: true });
      path = await Chromium.executablePath();
      if (!runsVersion(path)) throw new Error(`@sparticuz/chromium gave ${path}, which does not run`);
    }
    return path;
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}

async function findChromium(): Promise<string> {
  const fromEnv = process.env.CHROME_PATH;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`CHROME_PATH=${fromEnv} does not exist`);
    return fromEnv;
  }
  const inherited = process.env[RESOLVED_ENV];
  if (inherited && isExecutable(inherited)) return inherited;

  const found = (await playwrightChromium()) ?? systemChromium() ?? (await sparticuzChromium());
  process.env[RESOLVED_ENV] = found;
  return found;
}

// Cached on globalThis rather than in a module variable: Vite bundles and re-imports the config
// (and this file with it) more than once per process, and each copy would search again.
const CACHE_KEY = Symbol.for('sqlite-baton.chromium-path');
type CacheHolder = { [CACHE_KEY]?: Promise<string> };

/** Path of a Chromium executable usable headless. Cached. */
export function resolveChromium(): Promise<string> {
  const holder = globalThis as CacheHolder;
  let cached = holder[CACHE_KEY];
  if (!cached) {
    cached = findChromium();
    holder[CACHE_KEY] = cached;
    // Do not cache a failure: a later call may succeed (e.g. after the lock holder finished).
    cached.catch(() => {
      if (holder[CACHE_KEY] === cached) delete holder[CACHE_KEY];
    });
  }
  return cached;
}

/** Launch headless Chromium through Playwright with CHROMIUM_ARGS (extra `args` are appended). */
export async function launchChromium(opts: LaunchOptions = {}): Promise<Browser> {
  const { chromium } = await import('playwright');
  const executablePath = opts.executablePath ?? (await resolveChromium());
  return chromium.launch({
    headless: true,
    ...opts,
    executablePath,
    args: [...CHROMIUM_ARGS, ...(opts.args ?? [])],
  });
}
