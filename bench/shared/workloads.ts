/**
 * The workloads, written once over a small {@link Subject} interface, so that every contender
 * (raw sqlite-wasm inside its worker, sqlite-baton from a leader or a follower tab, the naive
 * one-connection-per-tab setup, SQLocal) runs exactly the same statements in the same order.
 *
 * Runs in pages and in the raw worker (no DOM use). Times with performance.now(): 5 µs resolution
 * in cross-origin isolated pages and workers, 100 µs (dithered) elsewhere.
 */
import { summarize, type LatencySummary } from './stats.ts';
import { sleep } from '../../test/support/sleep.ts';

export type Value = null | number | string | Uint8Array;

export interface Statement {
  sql: string;
  params: Value[];
}

/** What a contender must offer; each call is awaited before the next. */
export interface Subject {
  /** Schema statements: no parameters, no results. */
  exec(sql: string): Promise<void>;
  /** One autocommit (durable) write. */
  run(sql: string, params: Value[]): Promise<void>;
  /** One read: the first row or undefined. */
  get(sql: string, params: Value[]): Promise<unknown>;
  /** Several statements, atomically, in one call of the contender's batch API. */
  batch(statements: Statement[]): Promise<void>;
}

/** The settings a contender really runs with, read back from SQLite. */
export interface Settings {
  vfs: string;
  journalMode: string;
  synchronous: string;
}

export const SCHEMA = `
  CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, tab TEXT NOT NULL, n INTEGER NOT NULL, body TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS bulk (id INTEGER PRIMARY KEY, a INTEGER NOT NULL, b TEXT NOT NULL);
`;

const INSERT_ITEM = 'INSERT INTO items (tab, n, body) VALUES (?, ?, ?)';
const READ_ITEM = 'SELECT id, tab, n, body FROM items WHERE id = ?';
const INSERT_BULK = 'INSERT INTO bulk (a, b) VALUES (?, ?)';
/** About 100 bytes per row: a small but realistic record. */
const BODY = 'x'.repeat(100);

export interface LatencyResult extends LatencySummary {
  /** Operations per second over the whole run (count / elapsed). */
  perSecond: number;
  elapsedMs: number;
  /** The last operation was still waiting when the time budget ran out. */
  censored?: boolean;
}

export interface BulkResult {
  rows: number;
  chunk: number;
  elapsedMs: number;
  rowsPerSecond: number;
}

export interface LoopOptions {
  /** Wall-clock ms (Date.now()) at which every tab starts writing. */
  startAt: number;
  /** Wall-clock ms at which every tab stops starting new writes. */
  endAt: number;
  /** A call that takes longer than this is counted as an error and ends this tab's loop. */
  callTimeoutMs: number;
  /** Keep the epoch time of every acknowledgement (for failover). */
  keepAcks?: boolean;
  /** Keep the epoch time at which each write started, beside its latency (to tell what it waited behind). */
  keepStarts?: boolean;
}

export interface LoopResult {
  /** Writes acknowledged between startAt and endAt. */
  acked: number;
  /** Latency of every completed write, failed ones included. */
  latencies: number[];
  errors: number;
  /** Error code (or name) -> count. */
  errorCodes: Record<string, number>;
  /** The first error messages, for the report. */
  errorSamples: string[];
  timedOut: boolean;
  /** Epoch ms (performance.timeOrigin based) of each acknowledgement, if asked for. */
  acks?: number[];
  /** Epoch ms at which each write of `latencies` started, if asked for. */
  starts?: number[];
}

export function now(): number {
  return performance.now();
}

/** Wall-clock time with sub-ms precision; comparable across pages of one machine. */
export function epochNow(): number {
  return performance.timeOrigin + performance.now();
}

function codeOf(error: unknown): string {
  const e = error as { code?: unknown; name?: unknown; resultCode?: unknown } | null;
  if (typeof e?.code === 'string') return e.code;
  const text = String((error as { message?: unknown } | null)?.message ?? error);
  const named = /SQLITE_[A-Z_]+/.exec(text);
  if (named) return named[0];
  if (typeof e?.name === 'string' && e.name !== 'Error') return e.name;
  return text.slice(0, 60);
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`no answer within ${ms} ms`), { code: 'TIMEOUT' })), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export async function createSchema(subject: Subject): Promise<void> {
  await subject.exec(SCHEMA);
}

/** Puts `count` rows in `items` (one batch), for the reads to find. */
export async function prefill(subject: Subject, count: number, tab: string): Promise<void> {
  const statements: Statement[] = [];
  for (let i = 0; i < count; i++) statements.push({ sql: INSERT_ITEM, params: [tab, i, BODY] });
  for (let i = 0; i < statements.length; i += 10_000) await subject.batch(statements.slice(i, i + 10_000));
}

/** `count` autocommit INSERTs, each awaited before the next. */
export async function writeLatency(subject: Subject, count: number, tab: string): Promise<LatencyResult> {
  const latencies: number[] = [];
  const started = now();
  for (let i = 0; i < count; i++) {
    const t0 = now();
    await subject.run(INSERT_ITEM, [tab, i, BODY]);
    latencies.push(now() - t0);
  }
  const elapsedMs = now() - started;
  return { ...summarize(latencies), perSecond: (count / elapsedMs) * 1000, elapsedMs };
}

/**
 * `count` point reads by primary key among ids 1..maxId, each awaited before the next. With a
 * `maxMs` budget (a contender whose reads wait seconds for a writer would take minutes), the
 * run stops when the budget is spent, even in the middle of a read: that read counts with the
 * time it had waited so far (`censored`), and is left running in its contender.
 */
export async function readLatency(subject: Subject, count: number, maxId: number, maxMs = Infinity): Promise<LatencyResult> {
  const latencies: number[] = [];
  let missing = 0;
  let censored = false;
  const started = now();
  for (let i = 0; i < count && now() - started < maxMs; i++) {
    const id = 1 + Math.floor(Math.random() * maxId);
    const t0 = now();
    const read = subject.get(READ_ITEM, [id]);
    let row: unknown;
    if (Number.isFinite(maxMs)) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const outOfTime = new Promise<typeof OUT_OF_TIME>((resolve) => {
        timer = setTimeout(() => resolve(OUT_OF_TIME), Math.max(0, maxMs - (t0 - started)));
      });
      row = await Promise.race([read, outOfTime]).finally(() => clearTimeout(timer));
    } else {
      row = await read;
    }
    latencies.push(now() - t0);
    if (row === OUT_OF_TIME) {
      read.catch(() => undefined);
      censored = true;
      break;
    }
    if (row === undefined) missing++;
  }
  const elapsedMs = now() - started;
  if (missing > 0) throw new Error(`${missing} of ${latencies.length} point reads found no row: the table was not prefilled`);
  return { ...summarize(latencies), perSecond: (latencies.length / elapsedMs) * 1000, elapsedMs, ...(censored ? { censored } : {}) };
}

const OUT_OF_TIME = Symbol('out of time');

/**
 * `rows` INSERTs into an empty `bulk` table, in batches of `chunk` (rows = chunk: one batch).
 * The statements are built before the clock starts: what is timed is the contender's work.
 */
export async function bulkInsert(subject: Subject, rows: number, chunk: number): Promise<BulkResult> {
  await subject.exec('DELETE FROM bulk');
  const statements: Statement[] = [];
  for (let i = 0; i < rows; i++) statements.push({ sql: INSERT_BULK, params: [i, `row ${i}`] });
  const chunks: Statement[][] = [];
  for (let i = 0; i < rows; i += chunk) chunks.push(statements.slice(i, i + chunk));
  const started = now();
  for (const part of chunks) await subject.batch(part);
  const elapsedMs = now() - started;
  const counted = (await subject.get('SELECT count(*) AS n FROM bulk', [])) as { n?: unknown } | undefined;
  const n = Number(counted?.n);
  if (n !== rows) throw new Error(`bulk insert: expected ${rows} rows, found ${n}`);
  return { rows, chunk, elapsedMs, rowsPerSecond: (rows / elapsedMs) * 1000 };
}

/**
 * Writes single rows, one after another, from startAt until endAt or until `stop` says so;
 * several tabs run this at once. Failures are counted, never thrown.
 */
export async function writeLoop(subject: Subject, tab: string, options: LoopOptions, stopped: () => boolean): Promise<LoopResult> {
  const result: LoopResult = { acked: 0, latencies: [], errors: 0, errorCodes: {}, errorSamples: [], timedOut: false };
  if (options.keepAcks) result.acks = [];
  if (options.keepStarts) result.starts = [];
  await sleep(options.startAt - Date.now());
  for (let i = 0; Date.now() < options.endAt && !stopped(); i++) {
    result.starts?.push(epochNow());
    const t0 = now();
    try {
      await withTimeout(subject.run(INSERT_ITEM, [tab, i, BODY]), options.callTimeoutMs);
      result.latencies.push(now() - t0);
      if (Date.now() <= options.endAt) result.acked++;
      result.acks?.push(epochNow());
    } catch (error) {
      result.latencies.push(now() - t0);
      result.errors++;
      const code = codeOf(error);
      result.errorCodes[code] = (result.errorCodes[code] ?? 0) + 1;
      if (result.errorSamples.length < 3) result.errorSamples.push(`${code}: ${String((error as Error)?.message ?? error).slice(0, 200)}`);
      if (code === 'TIMEOUT') {
        result.timedOut = true;
        break;
      }
    }
  }
  return result;
}

/**
 * `writers` loops in this one context, each writing single rows one after another for `ms`:
 * concurrency without any tab or hop (for sqlite-baton's engine: its group-commit ceiling).
 */
export async function concurrentWrites(
  subject: Subject,
  writers: number,
  ms: number,
): Promise<{ perSecond: number; p99: number; writes: number }> {
  const endAt = now() + ms;
  const latencies: number[] = [];
  const started = now();
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      for (let i = 0; now() < endAt; i++) {
        const t0 = now();
        await subject.run(INSERT_ITEM, [`w${w}`, i, BODY]);
        latencies.push(now() - t0);
      }
    }),
  );
  const elapsedMs = now() - started;
  return { perSecond: (latencies.length / elapsedMs) * 1000, p99: summarize(latencies).p99, writes: latencies.length };
}

const BLOB_SCHEMA = 'CREATE TABLE IF NOT EXISTS blobs (id INTEGER PRIMARY KEY, body BLOB NOT NULL)';
const LAST_BLOB = 'SELECT body FROM blobs ORDER BY id DESC LIMIT 1';

export interface BlobResult {
  bytes: number;
  writeMs: number;
  readMs: number;
  /** The same read as the one statement of a batch (`withBatch`). */
  batchReadMs?: number;
}

/**
 * One large value: an autocommit INSERT of `bytes` bytes, then a point read of it (and, with
 * `withBatch`, the same read through the contender's batch call). The value is built before
 * the clock starts; the read is checked for its length.
 */
export async function blobRoundTrip(subject: Subject, bytes: number, withBatch = false): Promise<BlobResult> {
  await subject.exec(BLOB_SCHEMA);
  const value = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i += 4096) value[i] = (i / 4096) & 0xff;
  const t0 = now();
  await subject.run('INSERT INTO blobs (body) VALUES (?)', [value]);
  const writeMs = now() - t0;
  const t1 = now();
  const row = (await subject.get(LAST_BLOB, [])) as { body?: Uint8Array } | undefined;
  const readMs = now() - t1;
  if (row?.body?.byteLength !== bytes) throw new Error(`blob read back with ${row?.body?.byteLength} bytes, not ${bytes}`);
  if (!withBatch) return { bytes, writeMs, readMs };
  const t2 = now();
  await subject.batch([{ sql: LAST_BLOB, params: [] }]);
  return { bytes, writeMs, readMs, batchReadMs: now() - t2 };
}

/** A read that takes as long as `n` asks for: SQLite counts to n (about 3 s at the n the runner calibrates). */
export async function countTo(subject: Subject, n: number): Promise<{ ms: number }> {
  const t0 = now();
  const row = (await subject.get(
    'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?) SELECT count(*) AS n FROM c',
    [n],
  )) as { n?: unknown } | undefined;
  const ms = now() - t0;
  if (Number(row?.n) !== n) throw new Error(`counted to ${String(row?.n)}, not ${n}`);
  return { ms };
}

/** The workloads by name, as the bench runner asks for them. */
export const WORKLOADS = {
  schema: (s: Subject) => createSchema(s),
  prefill: (s: Subject, count: number, tab: string) => prefill(s, count, tab),
  writeLatency: (s: Subject, count: number, tab: string) => writeLatency(s, count, tab),
  readLatency: (s: Subject, count: number, maxId: number, maxMs?: number) => readLatency(s, count, maxId, maxMs),
  concurrentWrites: (s: Subject, writers: number, ms: number) => concurrentWrites(s, writers, ms),
  /** The N-tab loop with one writer, run where the subject lives (the raw contender: its worker). */
  soloLoop: (s: Subject, ms: number) =>
    writeLoop(s, 'solo', { startAt: Date.now(), endAt: Date.now() + ms, callTimeoutMs: 60_000 }, () => false),
  bulkInsert: (s: Subject, rows: number, chunk: number) => bulkInsert(s, rows, chunk),
  blobRoundTrip: (s: Subject, bytes: number, withBatch?: boolean) => blobRoundTrip(s, bytes, withBatch),
  countTo: (s: Subject, n: number) => countTo(s, n),
};

export type WorkloadName = keyof typeof WORKLOADS;

/** Runs the workload `name` with `args` (as sent from Node, through page.evaluate). */
export function runWorkload(subject: Subject, name: string, args: unknown[]): Promise<unknown> {
  const workload = WORKLOADS[name as WorkloadName] as ((s: Subject, ...a: unknown[]) => Promise<unknown>) | undefined;
  if (!workload) throw new Error(`unknown workload ${name}`);
  return workload(subject, ...args);
}
