import { describe, expect, it } from 'vitest';
import { decodeReply, encodeReply } from '../worker/writer/reply-codec.ts';
import { packResults, unpackResults, type PackedResults } from '../src/batch-wire.ts';
import type { BatchResult } from '../src/types.ts';

/** What the request log answers a retried write with must be exactly what the write answered. */
describe('reply codec', () => {
  it('round-trips the values JSON cannot hold', () => {
    const reply = [{ a: 2n ** 62n, b: new Uint8Array([0, 255]), c: Infinity, d: -Infinity, e: null, f: 'x', g: 1.5 }];
    expect(decodeReply(encodeReply(reply))).toEqual(reply);
  });

  it('keeps no reply as no reply', () => {
    expect(decodeReply(encodeReply(undefined))).toBeUndefined();
  });

  it('stores a 100,000-insert batch as one run and restores it whole', () => {
    const batch: BatchResult[] = Array.from({ length: 100_000 }, (_, i) => ({ rows: [], changes: 1, lastInsertRowid: 1000 + i }));
    const text = encodeReply(packResults(batch))!;
    expect(text.length).toBeLessThan(200);
    expect(unpackResults(decodeReply(text) as PackedResults)).toEqual(batch);
  });

  it('restores a batch stored by version 0.1, under its tag', () => {
    const stored = JSON.stringify({ '\u0000baton': 'batch', runs: [[3, 1, 7, 1]], rows: [[1, [{ n: 2 }]]] });
    expect(unpackResults(decodeReply(stored) as PackedResults)).toEqual([
      { rows: [], changes: 1, lastInsertRowid: 7 },
      { rows: [{ n: 2 }], changes: 1, lastInsertRowid: 8 },
      { rows: [], changes: 1, lastInsertRowid: 9 },
    ]);
  });
});
