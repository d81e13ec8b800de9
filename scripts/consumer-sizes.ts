/**
 * What a consumer ships: each app of test/consumers built from the packed package (or from
 * `--package <tgz>`), then every JavaScript file and every .wasm file of its output weighed, raw
 * and gzipped (level 9), with the names of emitted files that come from sqlite-wasm parts the
 * library never uses (its Worker1 API and the opfs VFS's async proxy). SQLocal 0.18 and wa-sqlite
 * (@journeyapps/wa-sqlite 2.0.6, synchronous build + OPFSCoopSyncVFS) are measured the same way,
 * each in the smallest Vite app that opens a database, next to sqlite-baton's Vite vanilla app.
 *
 *   npm run sizes:consumers                       # this repository, packed
 *   npm run sizes:consumers -- --package x.tgz    # another build of sqlite-baton
 *
 * Prints one table and a JSON line. Builds run one after another (about 2.5 minutes here, most of
 * it Next.js); an app that fails to build is reported as such, not weighed.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { installPackage, installTools, prepareApp, run, tail, work } from './consumer-workspace.ts';

interface SizeBuild {
  readonly name: string;
  readonly dir: string;
  /** Command and arguments, run in the app's folder; none for the static page. */
  readonly command?: readonly [string, ...string[]];
  /** What the browser downloads: output folders (or files) relative to the app folder. */
  readonly shipped: readonly string[];
}

const vite = () => join(work, 'node_modules/.bin/vite');

// `vite build` alone for the Vite apps: the bytes do not depend on the template's `tsc` step,
// which the sources-only package fails.
const BUILDS: readonly SizeBuild[] = [
  { name: 'sqlite-baton, Vite vanilla', dir: 'vite-vanilla', command: [vite(), 'build'], shipped: ['dist'] },
  { name: 'sqlite-baton, Vite react-ts', dir: 'vite-react', command: [vite(), 'build'], shipped: ['dist'] },
  { name: 'sqlite-baton, webpack', dir: 'webpack', command: ['npm', 'run', 'build'], shipped: ['dist'] },
  { name: 'sqlite-baton, esbuild', dir: 'esbuild', command: ['npm', 'run', 'build'], shipped: ['dist'] },
  { name: 'sqlite-baton, Next.js Turbopack', dir: 'next', command: ['npm', 'run', 'build'], shipped: ['.next/static'] },
  { name: 'sqlite-baton, Next.js webpack', dir: 'next', command: ['npm', 'run', 'build:webpack'], shipped: ['.next/static'] },
  {
    name: 'sqlite-baton, static page',
    dir: 'static-page',
    shipped: [
      '../node_modules/sqlite-baton/dist/index.js',
      '../node_modules/sqlite-baton/dist/worker.js',
      '../node_modules/sqlite-baton/dist/sqlite3.wasm',
      '../node_modules/comlink/dist/esm/comlink.mjs',
    ],
  },
  { name: 'SQLocal 0.18.0, Vite', dir: 'sizes-sqlocal', command: [vite(), 'build'], shipped: ['dist'] },
  { name: '@journeyapps/wa-sqlite 2.0.6, Vite', dir: 'sizes-wa-sqlite', command: [vite(), 'build'], shipped: ['dist'] },
];

const UNUSED_SQLITE_WASM = /sqlite3-worker1|sqlite3-opfs-async-proxy/;

interface Weighed {
  build: string;
  jsFiles: number;
  jsBytes: number;
  jsGzip: number;
  wasmBytes: number;
  wasmGzip: number;
  unusedSqliteWasmFiles: string[];
  error?: string;
}

async function filesUnder(path: string): Promise<string[]> {
  const entries = await readdir(path, { withFileTypes: true }).catch(() => undefined);
  if (!entries) return [path];
  const nested = await Promise.all(entries.map((entry) => filesUnder(join(path, entry.name))));
  return nested.flat();
}

async function weigh(build: SizeBuild, dir: string): Promise<Weighed> {
  const weighed: Weighed = { build: build.name, jsFiles: 0, jsBytes: 0, jsGzip: 0, wasmBytes: 0, wasmGzip: 0, unusedSqliteWasmFiles: [] };
  for (const file of (await Promise.all(build.shipped.map((path) => filesUnder(join(dir, path))))).flat()) {
    const isJs = /\.(m?js)$/.test(file);
    const isWasm = file.endsWith('.wasm');
    if (!isJs && !isWasm) continue;
    const bytes = await readFile(file).catch(() => undefined);
    if (!bytes) return { ...weighed, error: `${relative(dir, file)} is missing` };
    const gzip = gzipSync(bytes, { level: 9 }).length;
    if (UNUSED_SQLITE_WASM.test(file)) weighed.unusedSqliteWasmFiles.push(relative(dir, file));
    if (isJs) {
      weighed.jsFiles++;
      weighed.jsBytes += bytes.length;
      weighed.jsGzip += gzip;
    } else {
      weighed.wasmBytes += bytes.length;
      weighed.wasmGzip += gzip;
    }
  }
  return weighed;
}

/** The first line of a failed build that says what went wrong, for the table. */
function firstError(output: string): string {
  const line = output.split('\n').find((l) => /error/i.test(l) && !/^\s*at /.test(l)) ?? tail(output, 1);
  return line.trim().replaceAll('|', '/').slice(0, 160);
}

const kB = (bytes: number) => `${(bytes / 1000).toFixed(1)} kB`;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { package: { type: 'string' } } });
  await installTools();
  await installPackage(values.package);
  const results: Weighed[] = [];
  for (const build of BUILDS) {
    const dir = await prepareApp({ name: `sizes-${build.dir}`, dir: build.dir });
    if (build.command) {
      const [command, ...args] = build.command;
      const ran = await run(command, args, dir);
      if (ran.code !== 0) {
        results.push({
          build: build.name,
          jsFiles: 0,
          jsBytes: 0,
          jsGzip: 0,
          wasmBytes: 0,
          wasmGzip: 0,
          unusedSqliteWasmFiles: [],
          error: `build failed: ${firstError(ran.output)}`,
        });
        console.log(`${build.name}: build failed`);
        continue;
      }
    }
    const weighed = await weigh(build, dir);
    results.push(weighed);
    console.log(`${build.name}: ${weighed.error ?? 'weighed'}`);
  }
  console.log('\n| app | JS files | JS | JS gzipped | wasm | wasm gzipped | unused sqlite-wasm files emitted |');
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  for (const r of results) {
    if (r.error) console.log(`| ${r.build} | ${r.error} | | | | | |`);
    else
      console.log(
        `| ${r.build} | ${r.jsFiles} | ${kB(r.jsBytes)} | ${kB(r.jsGzip)} | ${kB(r.wasmBytes)} | ${kB(r.wasmGzip)} | ${r.unusedSqliteWasmFiles.join(', ') || 'none'} |`,
      );
  }
  console.log(JSON.stringify({ package: values.package ?? 'npm pack of this repository', results }));
}

await main();
