/**
 * Consumer tests: the package as a user gets it. `npm pack` (which builds dist/ through
 * `prepack`), one shared install of every app's tools (test/consumers/package.json, its lock),
 * the tarball installed into it, then each app of scripts/consumer-apps.ts copied next to that
 * install, built with its own build command and checked in real Chromium
 * (scripts/consumer-check.ts). Everything happens in a work directory outside the repository, so
 * no app can resolve a file or a tool from the repository's own node_modules.
 *
 *   npm run test:consumers                      # every app
 *   npm run test:consumers -- --only esbuild,static-page
 *
 * Ends with `N passed, N failed` and exits 1 if any app failed. CONSUMERS_DIR sets the work
 * directory (default: one per repository under the OS temp dir, reused for its install).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { launchChromium } from '../test/support/chromium.ts';
import { CONSUMER_APPS, type ConsumerApp } from './consumer-apps.ts';
import { checkConsumer } from './consumer-check.ts';
import { serveStatic } from './static-server.ts';

const repo = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');
const source = join(repo, 'test/consumers');
const work =
  process.env.CONSUMERS_DIR ?? join(tmpdir(), `sqlite-baton-consumers-${createHash('sha1').update(repo).digest('hex').slice(0, 8)}`);

/**
 * The environment of a user's shell: this Node first (npm scripts here run Node 24), no entry of
 * the repository's node_modules/.bin and no npm_* variables of the `npm run` that started us.
 */
const env: NodeJS.ProcessEnv = {
  ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('npm_') && key !== 'INIT_CWD')),
  PATH: [dirname(process.execPath), ...(process.env.PATH ?? '').split(delimiter).filter((dir) => !dir.startsWith(repo))].join(delimiter),
  NEXT_TELEMETRY_DISABLED: '1',
};

interface Ran {
  code: number | null;
  output: string;
  seconds: number;
}

function run(command: string, args: string[], cwd: string): Promise<Ran> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output, seconds: (performance.now() - started) / 1000 }));
  });
}

async function mustRun(what: string, command: string, args: string[], cwd: string): Promise<Ran> {
  const ran = await run(command, args, cwd);
  if (ran.code !== 0) throw new Error(`${what} failed (exit ${ran.code}):\n${ran.output}`);
  console.log(`${what}: ${ran.seconds.toFixed(1)} s`);
  return ran;
}

/** The shared install, redone only when the lock changed (CI always starts without one). */
async function installTools(): Promise<void> {
  const lock = await readFile(join(source, 'package-lock.json'));
  const stamp = createHash('sha1').update(lock).digest('hex');
  const stampFile = join(work, 'node_modules/.consumers-lock-sha1');
  await cp(join(source, 'package.json'), join(work, 'package.json'));
  await cp(join(source, 'package-lock.json'), join(work, 'package-lock.json'));
  if ((await readFile(stampFile, 'utf8').catch(() => '')) === stamp) return;
  await mustRun('npm ci (shared tools of every app)', 'npm', ['ci', '--no-audit', '--no-fund'], work);
  await writeFile(stampFile, stamp);
}

async function installPackage(): Promise<void> {
  const packed = await mustRun('npm pack (builds dist/ through prepack)', 'npm', ['pack', '--pack-destination', work], repo);
  const tarball = packed.output.trim().split('\n').at(-1)!;
  await rm(join(work, 'node_modules/sqlite-baton'), { recursive: true, force: true });
  await mustRun(`npm install ${tarball}`, 'npm', ['install', '--no-save', '--no-audit', '--no-fund', `./${tarball}`], work);
}

async function prepareApp(app: ConsumerApp): Promise<string> {
  const dir = join(work, app.name);
  await rm(dir, { recursive: true, force: true });
  await cp(join(source, app.dir), dir, { recursive: true });
  if (app.typescript === '7') {
    // The app's own `tsc`, as if its package.json's "typescript": "~7.0.2" were installed for it alone.
    await mkdir(join(dir, 'node_modules/.bin'), { recursive: true });
    await symlink(join(work, 'node_modules/typescript-7/bin/tsc'), join(dir, 'node_modules/.bin/tsc'));
  }
  return dir;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** `next start` until its page answers; returns the URL and how to stop it. */
async function startNext(dir: string): Promise<{ url: string; stop: () => void; output: () => string }> {
  const port = await freePort();
  const child = spawn('npm', ['run', 'start', '--', '--port', String(port), '--hostname', '127.0.0.1'], {
    cwd: dir,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const stop = () => {
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      // already gone
    }
  };
  const url = `http://127.0.0.1:${port}/`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`next start exited (${child.exitCode}):\n${output}`);
    if ((await fetch(url).catch(() => undefined))?.ok) return { url, stop, output: () => output };
    if (Date.now() > deadline) {
      stop();
      throw new Error(`next start did not answer within 60 s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

interface Result {
  app: string;
  ok: boolean;
  buildSeconds?: number;
  checkSeconds?: number;
  error?: string;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { only: { type: 'string' } } });
  const only = values.only?.split(',');
  const apps = CONSUMER_APPS.filter((app) => !only || only.includes(app.name));
  if (apps.length === 0) throw new Error(`no app named ${values.only}; apps: ${CONSUMER_APPS.map((app) => app.name).join(', ')}`);
  console.log(`work directory: ${work}`);
  await mkdir(work, { recursive: true });
  await installTools();
  await installPackage();
  await rm(join(work, 'shared'), { recursive: true, force: true });
  await cp(join(source, 'shared'), join(work, 'shared'), { recursive: true });

  const browser = await launchChromium();
  const results: Result[] = [];
  try {
    for (const app of apps) {
      const result: Result = { app: app.name, ok: false };
      results.push(result);
      try {
        const dir = await prepareApp(app);
        if (app.script) {
          const built = await run('npm', ['run', app.script], dir);
          result.buildSeconds = built.seconds;
          if (built.code !== 0) throw new Error(`npm run ${app.script} failed (exit ${built.code}):\n${built.output.trim()}`);
        }
        const started = performance.now();
        if (app.serve === 'next start') {
          const next = await startNext(dir);
          try {
            await checkConsumer(browser, next.url);
          } finally {
            next.stop();
          }
        } else {
          const server = await serveStatic(join(dir, app.serve.static));
          try {
            await checkConsumer(browser, server.origin + app.serve.page);
          } finally {
            await server.close();
          }
        }
        result.checkSeconds = (performance.now() - started) / 1000;
        result.ok = true;
      } catch (error) {
        result.error = error instanceof Error ? error.message : String(error);
      }
      const timing = [
        result.buildSeconds && `build ${result.buildSeconds.toFixed(1)} s`,
        result.checkSeconds && `check ${result.checkSeconds.toFixed(1)} s`,
      ];
      console.log(`${result.ok ? 'ok  ' : 'FAIL'} ${app.name} ${timing.filter(Boolean).join(', ')}`);
      if (result.error) console.log(`     ${result.error.replaceAll('\n', '\n     ')}`);
    }
  } finally {
    await browser.close();
  }
  const failed = results.filter((result) => !result.ok).length;
  console.log(JSON.stringify({ results: results.map(({ error, ...rest }) => ({ ...rest, error: error?.split('\n')[0] })) }));
  console.log(`${results.length - failed} passed, ${failed} failed`);
  process.exitCode = failed > 0 ? 1 : 0;
}

await main();
