import { describe, expect, it } from 'vitest';
import { decodeOutcome, encodeFailure, encodeReply, MAX_KEPT_CHARS } from '../worker/writer/reply-codec.ts';
import { packResults, unpackResults, type PackedResults } from '../src/batch-wire.ts';
import type { Reply } from '../src/protocol.ts';
import type { BatchResult } from '../src/types.ts';

/** The reply a stored text stands for, failing the test if it stands for something else. */
function replyOf(text: string | null): Reply {
  const outcome = decodeOutcome(text);
  if (outcome.kind !== 'reply') throw new Error(`expected a reply, got ${JSON.stringify(outcome)}`);
  return outcome.reply;
}

/** What the request log answers a retried write with must be exactly what the write answered. */
describe('reply codec', () => {
  it('round-trips the values JSON cannot hold', () => {
    const reply = [{ a: 2n ** 62n, b: new Uint8Array([0, 255]), c: Infinity, d: -Infinity, e: null, f: 'x', g: 1.5 }];
    expect(replyOf(encodeReply(reply))).toEqual(reply);
  });

  it('keeps no reply as no reply', () => {
    expect(replyOf(encodeReply(undefined))).toBeUndefined();
  });

  it('stores a 100,000-insert batch as one run and restores it whole', () => {
    const batch: BatchResult[] = Array.from({ length: 100_000 }, (_, i) => ({ rows: [], changes: 1, lastInsertRowid: 1000 + i }));
    const text = encodeReply(packResults(batch))!;
    expect(text.length).toBeLessThan(200);
    expect(unpackResults(replyOf(text) as PackedResults)).toEqual(batch);
  });

  it('restores a batch stored by version 0.1, under its tag', () => {
    const stored = JSON.stringify({ '\u0000baton': 'batch', runs: [[3, 1, 7, 1]], rows: [[1, [{ n: 2 }]]] });
    expect(unpackResults(replyOf(stored) as PackedResults)).toEqual([
      { rows: [], changes: 1, lastInsertRowid: 7 },
      { rows: [{ n: 2 }], changes: 1, lastInsertRowid: 8 },
      { rows: [], changes: 1, lastInsertRowid: 9 },
    ]);
  });

  it('keeps a reply up to the bound whole, and of a larger one only its size, however large', () => {
    const fits = [{ s: 'x'.repeat(MAX_KEPT_CHARS - 100) }];
    expect(replyOf(encodeReply(fits))).toEqual(fits);
    for (const reply of [
      [{ s: 'x'.repeat(MAX_KEPT_CHARS) }],
      [{ b: new Uint8Array(50 * 1024 * 1024) }],
      Array.from({ length: 100_000 }, (_, i) => ({ i })),
      // Short in characters, long once escaped: caught after encoding.
      [{ s: '\u0001'.repeat(MAX_KEPT_CHARS / 2) }],
    ]) {
      const text = encodeReply(reply)!;
      expect(text.length).toBeLessThan(100);
      expect(decodeOutcome(text)).toEqual({ kind: 'not-kept', chars: expect.any(Number) });
      expect((decodeOutcome(text) as { chars: number }).chars).toBeGreaterThan(MAX_KEPT_CHARS);
    }
  });

  it('keeps the error of a write SQLite kept part of', () => {
    const text = encodeFailure('SQLITE_CONSTRAINT_UNIQUE', 'UNIQUE constraint failed: t.x', 2067);
    expect(decodeOutcome(text)).toEqual({
      kind: 'error',
      code: 'SQLITE_CONSTRAINT_UNIQUE',
      message: 'UNIQUE constraint failed: t.x',
      resultCode: 2067,
    });
  });
});
