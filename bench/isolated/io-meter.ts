/**
 * Counts and times the OPFS calls sqlite-wasm's opfs-sahpool VFS makes (every page it reads or
 * writes and every flush is one call on a FileSystemSyncAccessHandle), so the bench can say what a
 * write costs in storage calls, from the calls themselves.
 */

const METHODS = ['read', 'write', 'flush', 'truncate', 'getSize'] as const;
type Method = (typeof METHODS)[number];

export interface IoFigures {
  calls: Record<Method, number>;
  ms: Record<Method, number>;
}

const zero = (): Record<Method, number> => ({ read: 0, write: 0, flush: 0, truncate: 0, getSize: 0 });
let figures: IoFigures = { calls: zero(), ms: zero() };

const proto = (globalThis as { FileSystemSyncAccessHandle?: { prototype: Record<Method, (...args: unknown[]) => unknown> } })
  .FileSystemSyncAccessHandle?.prototype;
if (proto) {
  for (const method of METHODS) {
    const original = proto[method];
    proto[method] = function (this: unknown, ...args: unknown[]) {
      const t0 = performance.now();
      try {
        return original.apply(this, args);
      } finally {
        figures.ms[method] += performance.now() - t0;
        figures.calls[method]++;
      }
    };
  }
}

/** Runs `body` and returns what it returned with the storage calls made meanwhile. */
export async function metered<T>(body: () => Promise<T>): Promise<{ result: T; io: IoFigures }> {
  figures = { calls: zero(), ms: zero() };
  const result = await body();
  return { result, io: figures };
}
