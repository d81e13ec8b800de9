import { describe, expect, it } from 'vitest';
import { wrap } from 'comlink';
import { uniqueName } from './support/unique-name.ts';
import type { Durability } from '../src/types.ts';

/**
 * What a commit costs in OPFS calls, counted in the worker that writes (not timed). Each call is
 * a round trip to the browser's storage in a private window, so the counts are what the library
 * keeps small: OPFS files are declared power-safe (no WAL padding frame per commit), and with
 * durability 'full' consecutive writes reach OPFS as one call before the commit's flush.
 */

interface Calls {
  write: number;
  flush: number;
  /** WAL frames written, from the bytes written. */
  frames: number;
}

interface Profile {
  single: Calls;
  group: Calls;
  inside: number;
  integrity: string;
}

async function profile(durability: Durability): Promise<Profile> {
  const worker = new Worker(new URL('./support/storage-calls.worker.ts', import.meta.url), { type: 'module' });
  try {
    return await wrap<{ profile(name: string, durability: Durability): Promise<Profile> }>(worker).profile(uniqueName('calls'), durability);
  } finally {
    worker.terminate();
  }
}

describe('storage calls per commit', () => {
  it("durability 'full': a commit is one write and one flush, and the WAL is not padded", async () => {
    const result = await profile('full');
    // One row changes one page: one frame, not two (unpadded).
    expect(result.single).toEqual({ write: 1, flush: 1, frames: 1 });
    expect(result.group).toMatchObject({ write: 1, flush: 1 });
  });

  it('a transaction that spills past the page cache reads its own buffered pages back whole', async () => {
    const result = await profile('full');
    expect(result.inside).toBe(2000);
    expect(result.integrity).toBe('ok');
  });

  it("durability 'relaxed': nothing is held back, since its commits are not flushed", async () => {
    const result = await profile('relaxed');
    // A frame header and its page: two calls per page appended, as SQLite makes them.
    expect(result.single).toEqual({ write: 2, flush: 0, frames: 1 });
    expect(result.integrity).toBe('ok');
  });
});
