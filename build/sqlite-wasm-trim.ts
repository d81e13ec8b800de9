import type { Rolldown } from 'tsdown';

/**
 * sqlite-wasm's browser entry (dist/index.mjs) carries two things sqlite-baton never uses, each
 * behind a `new URL('…', import.meta.url)` that bundlers follow and emit into the app:
 *  - the Worker1 promiser, `new Worker(new URL('sqlite3-worker1.mjs', import.meta.url))`: Vite and
 *    webpack bundle all of sqlite3-worker1.mjs (a second copy of sqlite-wasm's JS) as a worker;
 *  - the `opfs` VFS's async proxy, `new URL('sqlite3-opfs-async-proxy.js', import.meta.url)`: an
 *    asset for Vite, a `Can't resolve <dynamic>` failure for Turbopack (its `new Worker(url.toString())`).
 * The library uses only `opfs-sahpool`, so the worker build cuts both out of the copy of sqlite-wasm
 * it inlines. Each cut must match exactly once: a new sqlite-wasm whose text moved fails the build
 * instead of shipping those files again.
 */
interface Cut {
  readonly what: string;
  readonly find: RegExp;
  readonly replace: string;
}

const CUTS: readonly Cut[] = [
  {
    what: 'the Worker1 promiser region',
    find: /\/\/#region src\/bin\/sqlite3-worker1-promiser\.mjs[\s\S]*?(?=\/\/#region src\/browser\.ts)/,
    replace: '',
  },
  {
    what: 'the Worker1 promiser export',
    find: /const sqlite3Worker1Promiser\$1 = sqlite3_worker1_promiser_default;/,
    replace: 'const sqlite3Worker1Promiser$1 = undefined;',
  },
  {
    // Emscripten's script directory, `new URL(".", import.meta.url)` by way of a variable: Turbopack
    // follows the variable and emits the folder's index (a copy of dist/index.js) and the worker
    // itself as unused static files. The same URL, computed where no bundler looks.
    what: "Emscripten's script directory",
    find: /scriptDirectory = new URL\("\.", _scriptName\)\.href;/,
    replace: 'scriptDirectory = new URL(".", String(_scriptName)).href;',
  },
  {
    // Never reached: the engine turns the `opfs` VFSes off before init (worker/engine/sqlite-init.ts).
    // Cut all the same, so that no bundler emits the proxy file or fails to resolve it.
    what: "the opfs VFS's async proxy worker",
    find: /new URL\("sqlite3-opfs-async-proxy\.js", import\.meta\.url\)/,
    replace: '(() => { throw new Error("the opfs VFS is not part of sqlite-baton\'s sqlite-wasm"); })()',
  },
];

/** Every `new URL('…', import.meta.url)` left in the worker is a file a bundler will emit. */
const ASSET_URL = /new URL\(\s*["'`]([^"'`]+)["'`]\s*,\s*import\.meta\.url\s*\)/g;
const WANTED_ASSETS = new Set(['sqlite3.wasm']);

export function sqliteWasmTrim(): Rolldown.Plugin {
  let trimmed = false;
  return {
    name: 'sqlite-baton:sqlite-wasm-trim',
    buildStart() {
      trimmed = false;
    },
    transform: {
      filter: { id: /[\\/]@sqlite\.org[\\/]sqlite-wasm[\\/]dist[\\/]index\.mjs$/ },
      handler(code, id) {
        let out = code;
        for (const cut of CUTS) {
          const matches = out.match(new RegExp(cut.find.source, 'g'))?.length ?? 0;
          if (matches !== 1) this.error(`${id}: expected ${cut.what} once, found it ${matches} times: update build/sqlite-wasm-trim.ts`);
          out = out.replace(cut.find, cut.replace);
        }
        trimmed = true;
        return { code: out, map: null };
      },
    },
    generateBundle(_, bundle) {
      if (!trimmed) this.error('sqlite-wasm dist/index.mjs was not part of the worker build: update build/sqlite-wasm-trim.ts');
      for (const file of Object.values(bundle)) {
        if (file.type !== 'chunk') continue;
        const unwanted = [...file.code.matchAll(ASSET_URL)].map((m) => m[1]).filter((url) => !WANTED_ASSETS.has(url!));
        if (unwanted.length > 0) this.error(`${file.fileName} still refers to ${unwanted.join(', ')}`);
        if (file.code.includes('sqlite3-worker1')) this.error(`${file.fileName} still refers to sqlite3-worker1`);
      }
    },
  };
}
