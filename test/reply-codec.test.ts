import { describe, expect, it } from 'vitest';
import { decodeReply, encodeReply } from '../worker/reply-codec.ts';
import type { BatchResult } from '../src/protocol.ts';

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
    const text = encodeReply(batch)!;
    expect(text.length).toBeLessThan(200);
    expect(decodeReply(text)).toEqual(batch);
  });

  it('restores mixed batches: rows, updates that keep the rowid, bigint rowids, gaps', () => {
    const big = 2n ** 60n;
    const batch: BatchResult[] = [
      { rows: [], changes: 1, lastInsertRowid: 5 },
      { rows: [], changes: 1, lastInsertRowid: 6 },
      { rows: [{ n: 2 }], changes: 0, lastInsertRowid: 6 },
      { rows: [], changes: 3, lastInsertRowid: 6 },
      { rows: [], changes: 3, lastInsertRowid: 6 },
      { rows: [], changes: 1, lastInsertRowid: 9 },
      { rows: [], changes: 1, lastInsertRowid: big },
      { rows: [], changes: 1, lastInsertRowid: big + 1n },
      { rows: [{ id: big + 1n }], changes: 0, lastInsertRowid: big + 1n },
    ];
    expect(decodeReply(encodeReply(batch))).toEqual(batch);
  });
});
