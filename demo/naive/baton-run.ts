/**
 * The sqlite-baton side of the comparison: the demo's own workload (demo/workload.ts), same
 * writers, rate, rows and duration, on a database of its own, in this page. sqlite-baton does not
 * need cross-origin isolation, but works in an isolated page too.
 */
import { openDatabase, type Database } from 'sqlite-baton';
import { WORKLOAD_SCHEMA, Workload, type WriteMode } from '../workload.ts';
import type { CompareConfig, Progress, RunFigures } from './results.ts';

const DB_NAME = 'sqlite-baton-naive-compare';

let opened: Promise<Database> | undefined;

function database(): Promise<Database> {
  opened ??= openDatabase(DB_NAME).then(async (db) => {
    await db.exec(WORKLOAD_SCHEMA);
    return db;
  });
  return opened;
}

export async function runBaton(config: CompareConfig, mode: WriteMode, onProgress: (progress: Progress) => void): Promise<RunFigures> {
  const db = await database();
  await db.run('DELETE FROM writes');
  const workload = new Workload(db, (await db.status()).tabId);
  const started = Date.now();
  workload.start({ writers: config.writers, rate: config.rate, rows: config.rows, mode });
  const ticker = setInterval(() => {
    onProgress({ elapsedMs: Date.now() - started, calls: workload.total.calls, rows: workload.total.rows, errors: workload.total.errors });
  }, 250);
  await new Promise((resolve) => setTimeout(resolve, config.seconds * 1000));
  clearInterval(ticker);
  const stopped = await workload.stop(60_000);
  // Calls still in flight at the bell are counted when they settle (stop waits), like the naive
  // writers' last transaction; the rate is over the time until then.
  const elapsed = (Date.now() - started) / 1000;
  const counted = await db.get<{ n: number }>('SELECT count(*) AS n FROM writes');
  const notes: string[] = [];
  if (!stopped.settled) notes.push(`${stopped.pending.length} call(s) had not settled 60 s after the end`);
  return {
    kind: mode === 'run' ? 'baton-run' : 'baton-transaction',
    label: mode === 'run' ? 'db.run' : 'db.transaction',
    seconds: elapsed,
    calls: workload.total.calls,
    rows: workload.total.rows,
    errors: { ...workload.total.errors },
    p50: workload.total.latency.percentile(0.5),
    p99: workload.total.latency.percentile(0.99),
    rowsInFile: counted?.n ?? 0,
    notes,
  };
}
