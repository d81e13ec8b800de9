import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, mkdir, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ConsumerApp } from './consumer-apps.ts';

/**
 * The consumer apps' work directory, outside the repository so that no app can resolve a file or
 * a tool from the repository's own node_modules: one shared install of every app's tools
 * (test/consumers/package.json and its lock), sqlite-baton installed into it from a tarball, and
 * each app copied next to it. CONSUMERS_DIR sets the directory (default: one per repository under
 * the OS temp dir, whose install is reused while the lock is unchanged).
 */
export const repo = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');
export const source = join(repo, 'test/consumers');
export const work =
  process.env.CONSUMERS_DIR ?? join(tmpdir(), `sqlite-baton-consumers-${createHash('sha1').update(repo).digest('hex').slice(0, 8)}`);

/**
 * The environment of a user's shell: this Node first (npm scripts here run Node 24), no entry of
 * the repository's node_modules/.bin and no npm_* variables of the `npm run` that started us.
 */
export const env: NodeJS.ProcessEnv = {
  ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('npm_') && key !== 'INIT_CWD')),
  PATH: [dirname(process.execPath), ...(process.env.PATH ?? '').split(delimiter).filter((dir) => !dir.startsWith(repo))].join(delimiter),
  NEXT_TELEMETRY_DISABLED: '1',
};

export interface Ran {
  code: number | null;
  output: string;
  seconds: number;
}

export function run(command: string, args: string[], cwd: string): Promise<Ran> {
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

/** The end of a tool's output, where its error is: enough to act on, short enough to read. */
export function tail(output: string, lines = 40): string {
  return output.trim().split('\n').slice(-lines).join('\n');
}

export async function mustRun(what: string, command: string, args: string[], cwd: string): Promise<Ran> {
  const ran = await run(command, args, cwd);
  if (ran.code !== 0) throw new Error(`${what} failed (exit ${ran.code}):\n${tail(ran.output)}`);
  console.log(`${what}: ${ran.seconds.toFixed(1)} s`);
  return ran;
}

/** The shared install, redone only when the lock changed (CI always starts without one). */
export async function installTools(): Promise<void> {
  const lock = await readFile(join(source, 'package-lock.json'));
  const stamp = createHash('sha1').update(lock).digest('hex');
  const stampFile = join(work, 'node_modules/.consumers-lock-sha1');
  await mkdir(join(work, 'node_modules'), { recursive: true });
  await cp(join(source, 'package.json'), join(work, 'package.json'));
  await cp(join(source, 'package-lock.json'), join(work, 'package-lock.json'));
  if ((await readFile(stampFile, 'utf8').catch(() => '')) === stamp) return;
  await mustRun('npm ci (shared tools of every app)', 'npm', ['ci', '--no-audit', '--no-fund'], work);
  await writeFile(stampFile, stamp);
}

/**
 * Installs sqlite-baton into the shared install: this repository through `npm pack`, or a given
 * tarball (`--package`, e.g. an older version's, to compare). Also lays the apps' shared code.
 */
export async function installPackage(tarball?: string): Promise<void> {
  await mkdir(work, { recursive: true });
  let file: string;
  if (tarball) {
    file = join(work, `given-${basename(tarball)}`);
    await cp(resolve(tarball), file);
  } else {
    const packed = await mustRun('npm pack (builds dist/ through prepack)', 'npm', ['pack', '--pack-destination', work], repo);
    file = join(work, packed.output.trim().split('\n').at(-1)!);
  }
  await rm(join(work, 'node_modules/sqlite-baton'), { recursive: true, force: true });
  await mustRun(`npm install ${basename(file)}`, 'npm', ['install', '--no-save', '--no-audit', '--no-fund', file], work);
  await rm(join(work, 'shared'), { recursive: true, force: true });
  await cp(join(source, 'shared'), join(work, 'shared'), { recursive: true });
}

export async function prepareApp(app: Pick<ConsumerApp, 'name' | 'dir' | 'typescript' | 'tsconfig'>): Promise<string> {
  const dir = join(work, app.name);
  await rm(dir, { recursive: true, force: true });
  await cp(join(source, app.dir), dir, { recursive: true });
  if (app.tsconfig) await rename(join(dir, app.tsconfig), join(dir, 'tsconfig.json'));
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

export interface AppServer {
  url: string;
  stop: () => void;
  output: () => string;
}

/** `next start` until its page answers; returns the URL and how to stop it. */
export function startNext(dir: string): Promise<AppServer> {
  return startAppServer('next start', dir, ['run', 'start', '--', '--hostname', '127.0.0.1', '--port']);
}

/** The app's own dev server (`npm run dev`, Vite's with HMR on) until its page answers. */
export function startDevServer(dir: string): Promise<AppServer> {
  return startAppServer('npm run dev', dir, ['run', 'dev', '--', '--host', '127.0.0.1', '--strictPort', '--port']);
}

/** `npm <args> <port>` in the app's folder, in its own process group, until its page answers. */
async function startAppServer(what: string, dir: string, args: string[]): Promise<AppServer> {
  const port = await freePort();
  const child = spawn('npm', [...args, String(port)], {
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
    if (child.exitCode !== null) throw new Error(`${what} exited (${child.exitCode}):\n${output}`);
    if ((await fetch(url).catch(() => undefined))?.ok) return { url, stop, output: () => output };
    if (Date.now() > deadline) {
      stop();
      throw new Error(`${what} did not answer within 60 s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
