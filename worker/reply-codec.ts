import type { BatchResult, Reply } from '../src/protocol.ts';

/**
 * How a reply is kept in the request log: JSON, plus the SQL values JSON cannot hold (bigint,
 * Uint8Array, ±Infinity), plus a compact form for batches. A 100,000-row insert batch answers
 * 100,000 `{ rows: [], changes: 1, lastInsertRowid: n }`; written out in full that is megabytes
 * in the same transaction as the insert, which would cost more than the insert itself. Runs of
 * results without rows, with the same `changes` and a rowid that stays or grows by one, are
 * stored as one `[count, changes, firstRowid, step]`: the common batch is a single run.
 */

const TAG = '\u0000baton';

type Rowid = number | bigint;
type Run = [count: number, changes: number, firstRowid: Rowid, step: 0 | 1];

interface PackedBatch {
  [TAG]: 'batch';
  runs: Run[];
  /** Results that returned rows, by position. */
  rows: Array<[index: number, rows: BatchResult['rows']]>;
}

function isBatch(reply: Reply): reply is BatchResult[] {
  return Array.isArray(reply) && reply.length > 0 && reply.every((r) => typeof r === 'object' && r !== null && 'rows' in r && 'changes' in r);
}

function packBatch(results: BatchResult[]): PackedBatch {
  const runs: Run[] = [];
  const rows: PackedBatch['rows'] = [];
  results.forEach((result, index) => {
    if (result.rows.length > 0) rows.push([index, result.rows]);
    const last = runs.at(-1);
    if (last && last[1] === result.changes && typeof last[2] === typeof result.lastInsertRowid) {
      const step = last[0] === 1 ? Number(BigInt(result.lastInsertRowid) - BigInt(last[2])) : last[3];
      const expected = BigInt(last[2]) + BigInt(step * last[0]);
      if ((step === 0 || step === 1) && BigInt(result.lastInsertRowid) === expected) {
        last[0]++;
        last[3] = step;
        return;
      }
    }
    runs.push([1, result.changes, result.lastInsertRowid, 0]);
  });
  return { [TAG]: 'batch', runs, rows };
}

function unpackBatch(packed: PackedBatch): BatchResult[] {
  const results: BatchResult[] = [];
  for (const [count, changes, first, step] of packed.runs) {
    for (let i = 0; i < count; i++) {
      const lastInsertRowid = typeof first === 'bigint' ? first + BigInt(step * i) : first + step * i;
      results.push({ rows: [], changes, lastInsertRowid });
    }
  }
  for (const [index, rows] of packed.rows) results[index]!.rows = rows;
  return results;
}

/** The reply as stored text (null for no reply). */
export function encodeReply(reply: Reply): string | null {
  if (reply === undefined) return null;
  return JSON.stringify(isBatch(reply) ? packBatch(reply) : reply, (_key, value: unknown) => {
    if (typeof value === 'bigint') return { [TAG]: 'bigint', v: value.toString() };
    if (typeof value === 'number' && !Number.isFinite(value)) return { [TAG]: 'number', v: String(value) };
    if (value instanceof Uint8Array) return { [TAG]: 'bytes', v: Array.from(value) };
    return value;
  });
}

/** The reply a stored text stands for. */
export function decodeReply(text: string | null): Reply {
  if (text === null) return undefined;
  const decoded: unknown = JSON.parse(text, (_key, value: unknown) => {
    if (typeof value === 'object' && value !== null && TAG in value) {
      const tagged = value as { [TAG]: string; v: unknown };
      if (tagged[TAG] === 'bigint') return BigInt(tagged.v as string);
      if (tagged[TAG] === 'number') return Number(tagged.v);
      if (tagged[TAG] === 'bytes') return new Uint8Array(tagged.v as number[]);
    }
    return value;
  });
  if (typeof decoded === 'object' && decoded !== null && (decoded as { [TAG]?: unknown })[TAG] === 'batch') {
    return unpackBatch(decoded as PackedBatch);
  }
  return decoded as Reply;
}
