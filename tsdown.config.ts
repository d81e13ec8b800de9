import { createRequire } from 'node:module';
import { defineConfig } from 'tsdown';
import { sqliteWasmTrim } from './build/sqlite-wasm-trim.ts';
import { workerUrl } from './build/worker-url.ts';

/**
 * The package build (`npm run build`, run by `prepack`): two outputs in dist/.
 *  - index.js + index.d.ts (+ maps): the page's side, ES2022 modules, comlink left as an import,
 *    the adapters drizzle.js and kysely.js (their ORMs left as imports), react.js (React left as an
 *    import), and testing.js (fault injection for tests, out of the Database API);
 *    so the app's bundler shares it; the worker is referenced as `new URL('./worker.js', import.meta.url)`.
 *  - worker.js + sqlite3.wasm: the worker, one self-contained file (its code, comlink and
 *    sqlite-wasm's JS without the parts the library never uses), the wasm next to it, where
 *    sqlite-wasm's `new URL('sqlite3.wasm', import.meta.url)` looks. Bundlers take it from there
 *    and a page without a bundler can load it as it stands.
 */
const require = createRequire(import.meta.url);
const target = 'es2022';

export default defineConfig([
  {
    entry: {
      index: 'src/index.ts',
      drizzle: 'src/drizzle/index.ts',
      kysely: 'src/kysely/index.ts',
      react: 'src/react/index.ts',
      testing: 'src/testing.ts',
    },
    format: 'esm',
    platform: 'browser',
    target,
    outDir: 'dist',
    clean: true,
    sourcemap: true,
    tsconfig: 'tsconfig.build.json',
    dts: { sourcemap: true },
    // The ORMs are the app's own (optional peers); comlink is shared with the app's bundle.
    deps: { neverBundle: ['comlink', /^drizzle-orm/, /^kysely/, /^react/] },
    plugins: [workerUrl()],
  },
  {
    entry: { worker: 'worker/entry.ts' },
    format: 'esm',
    platform: 'browser',
    target,
    outDir: 'dist',
    clean: false,
    sourcemap: true,
    minify: true,
    dts: false,
    tsconfig: 'tsconfig.build.json',
    deps: { alwaysBundle: [/.*/], onlyBundle: ['comlink', '@sqlite.org/sqlite-wasm'] },
    plugins: [sqliteWasmTrim()],
    copy: [{ from: require.resolve('@sqlite.org/sqlite-wasm/sqlite3.wasm'), to: 'dist' }],
  },
]);
