/**
 * Database names no other test, tab or run uses: every test of a run shares one origin (one OPFS,
 * one set of Web Locks), and bench and script runs may leave files behind in a disk profile.
 * Plain erasable TypeScript, for Node and for pages and workers alike.
 */
let counter = 0;

/** `prefix-<time>-<counter>-<random>`, unique to this run and this call. */
export function uniqueName(prefix = 'db'): string {
  counter++;
  return `${prefix}-${Date.now().toString(36)}-${counter.toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
