import type { Rolldown } from 'tsdown';

/**
 * The sources start their worker with `new Worker(new URL('../worker/entry.ts', import.meta.url))`,
 * which the Vite dev server (the tests, the demo) serves as is. In dist/ the worker is its own
 * file next to index.js, so the built code must say `new URL('./worker.js', import.meta.url)`:
 * the one form every bundler (Vite, webpack, Turbopack) recognises as "bundle this as a worker"
 * and a plain static page can load as it stands. The build fails if the sources stop using the
 * expected expression, rather than ship a URL that points into src/.
 */
const SOURCE_URL = /new URL\((['"])\.\.\/worker\/entry\.ts\1, import\.meta\.url\)/g;
const BUILT_URL = "new URL('./worker.js', import.meta.url)";

export function workerUrl(): Rolldown.Plugin {
  let rewritten = 0;
  return {
    name: 'sqlite-baton:worker-url',
    buildStart() {
      rewritten = 0;
    },
    transform: {
      filter: { id: /[\\/]src[\\/][^\\/]+\.ts$/, code: 'worker/entry.ts' },
      handler(code) {
        const out = code.replace(SOURCE_URL, () => {
          rewritten++;
          return BUILT_URL;
        });
        return out === code ? null : { code: out, map: null };
      },
    },
    generateBundle(_, bundle) {
      if (rewritten === 0) this.error('no `new URL(../worker/entry.ts, import.meta.url)` found in src/: update build/worker-url.ts');
      for (const file of Object.values(bundle)) {
        if (file.type === 'chunk' && file.code.includes('worker/entry')) {
          this.error(`${file.fileName} still refers to worker/entry: a worker URL was not rewritten`);
        }
      }
    },
  };
}
