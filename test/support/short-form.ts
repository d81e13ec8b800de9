/**
 * Short forms of the heaviest tests, so that both engines' legs fit `npm test`'s time budget: the
 * Firefox projects set SQLITE_BATON_SHORT=1 (vite.config.ts), where each such test runs fewer
 * iterations or fewer points of the same kinds; Chromium runs them whole. Set SQLITE_BATON_SHORT
 * yourself (0 or 1) to choose: `SQLITE_BATON_SHORT=0 npm run test:firefox` runs Firefox whole.
 * Each test says beside its sizes what its short form leaves out. Nothing here changes what a test
 * asserts, only how much it tries.
 *
 * Plain erasable TypeScript: read in the browser (Vitest passes a project's env as
 * import.meta.env) and in Node (process.env).
 */
export const SHORT_ENV = 'SQLITE_BATON_SHORT';

/** True where the tests run their short forms. */
export function shortForm(): boolean {
  const fromVite = (import.meta as { env?: Record<string, unknown> }).env?.[SHORT_ENV];
  const fromNode = typeof process === 'undefined' ? undefined : process.env[SHORT_ENV];
  return (fromVite ?? fromNode) === '1';
}

/** `whole` normally, `short` in the short form. */
export function sized<T>(whole: T, short: T): T {
  return shortForm() ? short : whole;
}
