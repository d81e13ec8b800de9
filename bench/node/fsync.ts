/**
 * What one durable write costs on this machine's disk, outside the browser: the floor under every
 * durable figure (a commit is one or more flushes), printed with the results so that runs on
 * different machines can be read side by side.
 */
import { closeSync, fsyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median } from '../shared/stats.ts';

/** Median ms of a 4 KiB write + fsync, in the directory the browser profile lives in. */
export function fsyncCost(samples = 40): number {
  const dir = mkdtempSync(join(tmpdir(), 'sqlite-baton-fsync-'));
  const fd = openSync(join(dir, 'probe'), 'w');
  const block = Buffer.alloc(4096, 1);
  const times: number[] = [];
  try {
    for (let i = 0; i < samples; i++) {
      const t0 = performance.now();
      writeSync(fd, block, 0, block.length, (i % 8) * 4096);
      fsyncSync(fd);
      times.push(performance.now() - t0);
    }
  } finally {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
  return median(times);
}
