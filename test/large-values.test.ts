import { describe, expect, it } from 'vitest';
import { BLOB_FROM_BYTES, blobsForLargeValues, readLargeValues, transferableBuffers } from '../src/large-values.ts';

/** A comlink request as a page sends one: the value sits deep inside the request's parameters. */
function request(params: unknown): { id: string; type: string; path: string[]; argumentList: unknown[] } {
  return { id: 'c1', type: 'APPLY', path: ['execute'], argumentList: [{ type: 'RAW', value: { op: 'run', sql: 'x', params } }] };
}

describe('large values across a BroadcastChannel', () => {
  it('sends a large value as a Blob and reads it back as the same bytes, leaving the caller\u2019s message untouched', async () => {
    const big = new Uint8Array(BLOB_FROM_BYTES).map((_, i) => i & 0xff);
    const small = new Uint8Array([1, 2, 3]);
    const original = request([small, big, 'text', 7]);
    const sent = blobsForLargeValues(original) as ReturnType<typeof request>;
    const sentParams = (sent.argumentList[0] as { value: { params: unknown[] } }).value.params;
    expect(sentParams[1]).toBeInstanceOf(Blob);
    expect(sentParams[0]).toBe(small);
    // The app's own objects are not changed: the path to the Blob was copied.
    expect((original.argumentList[0] as { value: { params: unknown[] } }).value.params[1]).toBe(big);
    const received = structuredClone(sent);
    await readLargeValues(received);
    const got = (received.argumentList[0] as { value: { params: unknown[] } }).value.params;
    expect(got[0]).toEqual(small);
    expect(got[1]).toEqual(big);
    expect(got.slice(2)).toEqual(['text', 7]);
  });

  it('leaves a message without large values as it is, and has nothing to read in it', () => {
    const message = request({ a: new Uint8Array(10), b: 'x' });
    expect(blobsForLargeValues(message)).toBe(message);
    expect(readLargeValues(structuredClone(message))).toBeUndefined();
  });

  it('keeps a column named __proto__ an own key of its row on both sides', async () => {
    const row: Record<string, unknown> = {};
    Object.defineProperty(row, '__proto__', {
      value: new Uint8Array(BLOB_FROM_BYTES),
      enumerable: true,
      writable: true,
      configurable: true,
    });
    const reply = { id: 'r1', type: 'RAW', value: [row] };
    const sent = blobsForLargeValues(reply) as typeof reply;
    const sentRow = sent.value[0]!;
    expect(Object.getPrototypeOf(sentRow)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(sentRow, '__proto__')?.value).toBeInstanceOf(Blob);
    const received = structuredClone(sent);
    await readLargeValues(received);
    const value = Object.getOwnPropertyDescriptor(received.value[0], '__proto__')?.value as Uint8Array;
    expect(value.byteLength).toBe(BLOB_FROM_BYTES);
    expect(Object.getPrototypeOf(received.value[0])).toBe(Object.prototype);
  });

  it('a row of named parameters deep in a batch is reached too', () => {
    const big = new Uint8Array(BLOB_FROM_BYTES);
    const message = request(undefined);
    (message.argumentList[0] as { value: Record<string, unknown> }).value.statements = { values: [{ ':v': big }] };
    const sent = blobsForLargeValues(message) as typeof message;
    const values = (sent.argumentList[0] as { value: { statements: { values: Array<Record<string, unknown>> } } }).value.statements.values;
    expect(values[0]![':v']).toBeInstanceOf(Blob);
  });
});

describe("a reply's buffers handed over to the page", () => {
  it('lists each large whole buffer once, and neither small values nor views into a larger buffer', () => {
    const big = new Uint8Array(1 << 20);
    const shared = new Uint8Array(1 << 20).subarray(10);
    const reply = [{ a: big, b: big, c: new Uint8Array(100), d: shared }, [big]];
    expect(transferableBuffers(reply)).toEqual([big.buffer]);
  });
});
