/**
 * The consumer apps of test/consumers/, each built with its own stock build command from the
 * packed package, then checked in Chromium (scripts/consumers.ts). An app folder may be built
 * more than once (another TypeScript, another bundler of the same framework).
 */
export interface ConsumerApp {
  /** Name of this build; also the folder it is copied to in the work directory. */
  readonly name: string;
  /** Folder under test/consumers/. */
  readonly dir: string;
  /** The npm script that builds it. */
  readonly script: string;
  /**
   * A tsconfig of the app's folder to build with instead of its tsconfig.json (the same app
   * type-checked under other settings).
   */
  readonly tsconfig?: string;
  /** Which `tsc` the build runs: the shared install's `typescript` is 5.9 (ts-loader and Next.js need its API); 7 is `typescript-7`. */
  readonly typescript?: '7';
  /** How the built app is served: a static server rooted at `root` (relative to the app folder, or the work directory for '..'), or `next start`. */
  readonly serve: { readonly static: string; readonly page: string } | 'next start' | 'vite dev';
  /**
   * What is checked in Chromium: the notes check of scripts/consumer-check.ts (the default), or
   * Vite HMR replacing the module that opens the database (scripts/consumer-hmr.ts, with 'vite dev'),
   * or the errors of workers that cannot start (scripts/consumer-startup-errors.ts).
   */
  readonly check?: 'notes' | 'hmr' | 'startup-errors';
}

export const CONSUMER_APPS: readonly ConsumerApp[] = [
  { name: 'vite-vanilla-ts7', dir: 'vite-vanilla', script: 'build', typescript: '7', serve: { static: 'dist', page: '/' } },
  { name: 'vite-vanilla-ts5.9', dir: 'vite-vanilla', script: 'build', serve: { static: 'dist', page: '/' } },
  // No types but the app's own (no @types/node to bring esnext.disposable), and the package's
  // declarations checked too (no skipLibCheck).
  {
    name: 'vite-vanilla-no-skiplibcheck',
    dir: 'vite-vanilla',
    script: 'build',
    typescript: '7',
    tsconfig: 'tsconfig.no-skiplibcheck.json',
    serve: { static: 'dist', page: '/' },
  },
  { name: 'vite-react-ts7', dir: 'vite-react', script: 'build', typescript: '7', serve: { static: 'dist', page: '/' } },
  // sqlite-baton/kysely and sqlite-baton/drizzle, the ORMs installed by the app (optional peers).
  { name: 'vite-orm-ts7', dir: 'vite-orm', script: 'build', typescript: '7', serve: { static: 'dist', page: '/' } },
  { name: 'webpack-ts-loader', dir: 'webpack', script: 'build', serve: { static: '.', page: '/' } },
  { name: 'esbuild', dir: 'esbuild', script: 'build', serve: { static: '.', page: '/' } },
  { name: 'next-turbopack', dir: 'next', script: 'build', serve: 'next start' },
  { name: 'next-webpack', dir: 'next', script: 'build:webpack', serve: 'next start' },
  { name: 'static-page', dir: 'static-page', script: '', serve: { static: '..', page: '/static-page/' } },
  { name: 'static-page-cdn', dir: 'static-page-cdn', script: 'build', serve: { static: '..', page: '/static-page-cdn/' } },
  {
    name: 'startup-errors',
    dir: 'startup-errors',
    script: 'build',
    serve: { static: '..', page: '/startup-errors/' },
    check: 'startup-errors',
  },
  { name: 'vite-hmr', dir: 'vite-hmr', script: '', serve: 'vite dev', check: 'hmr' },
];
