import type { Rolldown } from 'tsdown';

/**
 * The sources start their worker with `new Worker(new URL('../worker/entry.ts', import.meta.url))`
 * (src/worker-start.ts), which the Vite dev server (the tests, the demo) serves as is. In dist/
 * the worker is its own file next to index.js, so the built code must say
 * `new URL('./worker.js', import.meta.url)`: the one form every bundler (Vite, webpack, Turbopack)
 * recognises as "bundle this as a worker" and a plain static page can load as it stands. The same
 * file names that path once more as a plain string (`OWN_WORKER_PATH`, for error messages), which
 * is rewritten too. The build fails if the sources stop using the expected expressions, rather
 * than ship a URL that points into src/.
 */
const REWRITES = [
  {
    what: "`new URL('../worker/entry.ts', import.meta.url)`",
    find: /new URL\((['"])\.\.\/worker\/entry\.ts\1, import\.meta\.url\)/g,
    replace: "new URL('./worker.js', import.meta.url)",
  },
  {
    what: "`const OWN_WORKER_PATH = '../worker/entry.ts'`",
    find: /const OWN_WORKER_PATH = (['"])\.\.\/worker\/entry\.ts\1/g,
    replace: "const OWN_WORKER_PATH = './worker.js'",
  },
];

export function workerUrl(): Rolldown.Plugin {
  const rewritten = new Map<string, number>();
  return {
    name: 'sqlite-baton:worker-url',
    buildStart() {
      rewritten.clear();
    },
    transform: {
      filter: { id: /[\\/]src[\\/][^\\/]+\.ts$/, code: 'worker/entry.ts' },
      handler(code) {
        let out = code;
        for (const { what, find, replace } of REWRITES) {
          out = out.replace(find, () => {
            rewritten.set(what, (rewritten.get(what) ?? 0) + 1);
            return replace;
          });
        }
        return out === code ? null : { code: out, map: null };
      },
    },
    generateBundle(_, bundle) {
      for (const { what } of REWRITES) {
        if (rewritten.get(what) !== 1) {
          this.error(`expected ${what} once in src/, found it ${rewritten.get(what) ?? 0} times: update build/worker-url.ts`);
        }
      }
      for (const file of Object.values(bundle)) {
        if (file.type === 'chunk' && file.code.includes('worker/entry')) {
          this.error(`${file.fileName} still refers to worker/entry: a worker URL was not rewritten`);
        }
      }
    },
  };
}
