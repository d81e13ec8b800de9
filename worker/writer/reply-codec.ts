import type { Reply } from '../../src/protocol.ts';

/**
 * How a reply is kept in the request log: JSON, plus the SQL values JSON cannot hold (bigint,
 * Uint8Array, ±Infinity). A batch's reply is already packed (src/batch-wire.ts): a 100,000-row
 * insert is stored as one run, not megabytes in the same transaction as the insert.
 */

const TAG = '\u0000baton';

/** The reply as stored text (null for no reply). */
export function encodeReply(reply: Reply): string | null {
  if (reply === undefined) return null;
  return JSON.stringify(reply, (_key, value: unknown) => {
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
  // Version 0.1 stored a batch's runs under a tag; they are the packed form without it.
  if (typeof decoded === 'object' && decoded !== null && (decoded as { [TAG]?: unknown })[TAG] === 'batch') {
    const { runs, rows } = decoded as { runs: unknown; rows: unknown };
    return { runs, rows } as Reply;
  }
  return decoded as Reply;
}
