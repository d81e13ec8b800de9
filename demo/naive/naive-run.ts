/**
 * Runs the naive side of the comparison: N dedicated workers, one connection each, on ONE file
 * through the `opfs` VFS, all writing for the same few seconds. Returns what they got.
 */
import { Histogram } from '../stats.ts';
import type { NaiveCommand, NaiveReply, NaiveStats } from './naive-worker.ts';
import type { CompareConfig, Progress, RunFigures } from './results.ts';

const FILE = '/sqlite-baton-naive-compare.sqlite3';
const OPEN_TIMEOUT_MS = 20_000;

interface NaiveWorker {
  worker: Worker;
  stats: NaiveStats | undefined;
  done: boolean;
  /** Resolves with the next reply of type `t`. */
  next<T extends NaiveReply['t']>(t: T, timeoutMs?: number): Promise<Extract<NaiveReply, { t: T }>>;
  send(command: NaiveCommand): void;
}

function spawn(index: number): NaiveWorker {
  const worker = new Worker(new URL('./naive-worker.ts', import.meta.url), { type: 'module', name: `naive writer ${index}` });
  const waiting = new Map<string, (reply: NaiveReply) => void>();
  const handle: NaiveWorker = {
    worker,
    stats: undefined,
    done: false,
    next(t, timeoutMs = OPEN_TIMEOUT_MS) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`naive writer ${index}: no "${t}" after ${timeoutMs} ms`)), timeoutMs);
        waiting.set(t, (reply) => {
          clearTimeout(timer);
          resolve(reply as never);
        });
        if (t === 'ready') {
          waiting.set('failed', (reply) => {
            clearTimeout(timer);
            reject(new Error(`naive writer ${index}: ${(reply as { message: string }).message}`));
          });
        }
      });
    },
    send(command) {
      worker.postMessage(command);
    },
  };
  worker.onmessage = (event: MessageEvent<NaiveReply>) => {
    const reply = event.data;
    if (reply.t === 'stats' || reply.t === 'done') handle.stats = reply.stats;
    if (reply.t === 'done') handle.done = true;
    const wake = waiting.get(reply.t);
    waiting.delete(reply.t);
    wake?.(reply);
  };
  worker.onerror = (event) => {
    const wake = waiting.get('failed');
    waiting.delete('failed');
    wake?.({ t: 'failed', message: event.message || 'the worker script failed to load' });
  };
  return handle;
}

function sum(workers: NaiveWorker[]): {
  calls: number;
  rows: number;
  errors: Record<string, number>;
  latency: Histogram;
  vfsMessages: number;
  lastError: string;
  lastVfsMessage: string;
} {
  const latency = new Histogram();
  const errors: Record<string, number> = {};
  let calls = 0;
  let rows = 0;
  let vfsMessages = 0;
  let lastError = '';
  let lastVfsMessage = '';
  for (const { stats } of workers) {
    if (!stats) continue;
    calls += stats.calls;
    rows += stats.rows;
    vfsMessages += stats.vfsMessages;
    latency.merge(stats.latency);
    for (const [code, n] of Object.entries(stats.errors)) errors[code] = (errors[code] ?? 0) + n;
    lastError ||= stats.lastError;
    lastVfsMessage ||= stats.lastVfsMessage;
  }
  return { calls, rows, errors, latency, vfsMessages, lastError, lastVfsMessage };
}

export async function runNaive(config: CompareConfig, onProgress: (progress: Progress) => void): Promise<RunFigures> {
  if (!crossOriginIsolated) throw new Error('this page is not cross-origin isolated, so the opfs VFS (SharedArrayBuffer) cannot run');
  const workers: NaiveWorker[] = [];
  try {
    // The first writer creates (and empties) the table before the others open the file.
    for (let i = 0; i < config.writers; i++) {
      const writer = spawn(i);
      workers.push(writer);
      const ready = writer.next('ready');
      writer.send({ t: 'open', file: FILE, tab: `naive-${i}`, setup: i === 0, busyTimeout: config.busyTimeout });
      await ready;
    }
    const started = Date.now();
    const until = started + config.seconds * 1000;
    const finished = workers.map((w) => w.next('done', config.seconds * 1000 + 60_000));
    for (const w of workers) w.send({ t: 'go', until, rate: config.rate, rows: config.rows });
    const ticker = setInterval(() => {
      const now = sum(workers);
      onProgress({ elapsedMs: Date.now() - started, calls: now.calls, rows: now.rows, errors: now.errors });
    }, 250);
    try {
      await Promise.all(finished);
    } finally {
      clearInterval(ticker);
    }
    const elapsed = (Date.now() - started) / 1000;
    const counted = workers[0]!.next('count');
    workers[0]!.send({ t: 'count' });
    const rowsInFile = (await counted).rows;
    const total = sum(workers);
    const notes: string[] = [];
    if (total.lastError) notes.push(`last error: ${total.lastError}`);
    if (total.vfsMessages > 0) notes.push(`the VFS logged ${total.vfsMessages} message(s), last: ${total.lastVfsMessage}`);
    return {
      kind: 'naive',
      label: `opfs VFS × ${config.writers}`,
      seconds: elapsed,
      calls: total.calls,
      rows: total.rows,
      errors: total.errors,
      p50: total.latency.percentile(0.5),
      p99: total.latency.percentile(0.99),
      rowsInFile,
      notes,
    };
  } finally {
    await Promise.all(
      workers.map(async (w) => {
        const closed = w.next('closed', 5_000).catch(() => undefined);
        w.send({ t: 'close' });
        await closed;
        w.worker.terminate();
      }),
    );
  }
}
