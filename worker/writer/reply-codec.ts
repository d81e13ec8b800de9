import type { Reply } from '../../src/protocol.ts';

/**
 * How the outcome of a write is kept in the request log: its reply as JSON, plus the SQL values
 * JSON cannot hold (bigint, Uint8Array, ±Infinity). A batch's reply is already packed
 * (src/batch-wire.ts): a 100,000-row insert is stored as one run.
 *
 * The record is bounded whatever a write returns: a reply larger than MAX_KEPT_CHARS is not kept,
 * only its size (a 50 MB RETURNING recorded 100 MB of JSON in the same transaction as the write,
 * and took seconds to encode). A retry of such a write still gets a definite answer: it was
 * applied, once, and its reply cannot be repeated. A write that failed after SQLite kept part of
 * it (`INSERT OR FAIL`) keeps its error, so a retry gets that error instead of applying it again.
 *
 * Tagged objects cannot be confused with a row: their key holds a NUL character, which no column
 * name can (SQL text with a NUL is refused).
 */

const TAG = '\u0000baton';

/** The longest reply kept, in JSON characters: 16 pages of 4 KiB at most in the record's row. */
export const MAX_KEPT_CHARS = 64 * 1024;
/** An error message is kept up to this length (a RAISE(FAIL, ...) text is the user's). */
const MAX_MESSAGE_CHARS = 2_000;

/** What a retried write is answered with. */
export type Outcome =
  | { kind: 'reply'; reply: Reply }
  /** Applied; the reply was `chars` JSON characters or more, too large to keep. */
  | { kind: 'not-kept'; chars: number }
  /** Failed with this error after SQLite had kept part of it. */
  | { kind: 'error'; code: string; message: string; resultCode?: number };

/**
 * A lower bound of the JSON length of `value`, counted until it passes `limit`: enough to tell a
 * reply that cannot be kept without encoding it.
 */
function atLeastChars(value: unknown, limit: number): number {
  let total = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0 && total <= limit) {
    const v = stack.pop();
    if (typeof v === 'string') total += v.length + 2;
    else if (v instanceof Uint8Array) total += v.byteLength * 2;
    else if (Array.isArray(v)) {
      total += v.length + 1;
      for (const item of v) stack.push(item);
    } else if (typeof v === 'object' && v !== null) {
      for (const key of Object.keys(v)) {
        total += key.length + 4;
        stack.push((v as Record<string, unknown>)[key]);
      }
    } else total += 1;
  }
  return total;
}

function toJson(reply: Reply): string {
  return JSON.stringify(reply, (_key, value: unknown) => {
    if (typeof value === 'bigint') return { [TAG]: 'bigint', v: value.toString() };
    if (typeof value === 'number' && !Number.isFinite(value)) return { [TAG]: 'number', v: String(value) };
    if (value instanceof Uint8Array) return { [TAG]: 'bytes', v: Array.from(value) };
    return value;
  });
}

/** A write's reply as stored text (null for no reply), or the mark of a reply too large to keep. */
export function encodeReply(reply: Reply): string | null {
  if (reply === undefined) return null;
  const least = atLeastChars(reply, MAX_KEPT_CHARS);
  const text = least > MAX_KEPT_CHARS ? undefined : toJson(reply);
  if (text !== undefined && text.length <= MAX_KEPT_CHARS) return text;
  return JSON.stringify({ [TAG]: 'not-kept', chars: text?.length ?? least });
}

/** The error of a write SQLite kept part of, as stored text. */
export function encodeFailure(code: string, message: string, resultCode: number | undefined): string {
  return JSON.stringify({ [TAG]: 'error', code, message: message.slice(0, MAX_MESSAGE_CHARS), resultCode });
}

/** The outcome a stored text stands for. */
export function decodeOutcome(text: string | null): Outcome {
  if (text === null) return { kind: 'reply', reply: undefined };
  const decoded: unknown = JSON.parse(text, (_key, value: unknown) => {
    if (typeof value === 'object' && value !== null && TAG in value) {
      const tagged = value as { [TAG]: string; v: unknown };
      if (tagged[TAG] === 'bigint') return BigInt(tagged.v as string);
      if (tagged[TAG] === 'number') return Number(tagged.v);
      if (tagged[TAG] === 'bytes') return new Uint8Array(tagged.v as number[]);
    }
    return value;
  });
  if (typeof decoded === 'object' && decoded !== null && TAG in decoded) {
    const tagged = decoded as { [TAG]: string } & Record<string, unknown>;
    switch (tagged[TAG]) {
      case 'not-kept':
        return { kind: 'not-kept', chars: Number(tagged.chars) };
      case 'error':
        return {
          kind: 'error',
          code: String(tagged.code),
          message: String(tagged.message),
          resultCode: typeof tagged.resultCode === 'number' ? tagged.resultCode : undefined,
        };
      case 'batch':
        // Version 0.1 stored a batch's runs under a tag; they are the packed form without it.
        return { kind: 'reply', reply: { runs: tagged.runs, rows: tagged.rows } as Reply };
    }
  }
  return { kind: 'reply', reply: decoded as Reply };
}
