/**
 * The live-query bench's side of a sqlite-baton tab (`window.liveBench`, beside `window.bench`): a
 * watch on one probe row whose deliveries are timed, idle watches, and the probe writes.
 * Times are epoch ms (performance.timeOrigin + now()), comparable across the tabs of one machine.
 */
import type { Database, Unwatch } from 'sqlite-baton';
import { epochNow } from './shared/workloads.ts';

export interface ProbeWrite {
  value: number;
  /** When db.run was called, and when it resolved (the commit lies between). */
  called: number;
  acked: number;
}

export interface LivePage {
  /** The probe row and the table the idle watches read (nobody writes it while they are measured). */
  schema(quietRows: number): Promise<void>;
  /** Watches the probe row; resolves once the first delivery came. */
  watchProbe(): Promise<void>;
  /** Watches rows `from`..`from + count - 1` of `quiet`, one watch each; resolves once each delivered. */
  idleWatches(from: number, count: number): Promise<void>;
  /** Reads the idle watches made after their first. */
  idleRereads(): number;
  /** Writes the probe `count` times, `gapMs` apart, values from `first` on. */
  probe(first: number, count: number, gapMs: number): Promise<ProbeWrite[]>;
  /** Each delivery of the probe watch: the value and when the listener got it. */
  seen(): Array<{ value: number; at: number }>;
  stopWatches(): void;
}

declare global {
  interface Window {
    liveBench?: LivePage;
  }
}

export function installLivePage(db: () => Database): void {
  const stops: Unwatch[] = [];
  const seen: Array<{ value: number; at: number }> = [];
  let idleRuns = 0;
  let idleWatches = 0;
  window.liveBench = {
    async schema(quietRows) {
      await db().exec(`CREATE TABLE IF NOT EXISTS probe (id INTEGER PRIMARY KEY, n INTEGER NOT NULL);
        INSERT OR IGNORE INTO probe VALUES (1, 0);
        CREATE TABLE IF NOT EXISTS quiet (id INTEGER PRIMARY KEY, v TEXT NOT NULL)`);
      await db().batch(
        Array.from({ length: quietRows }, (_, i) => ({ sql: 'INSERT OR IGNORE INTO quiet VALUES (?, ?)', params: [i, `quiet ${i}`] })),
      );
    },
    watchProbe() {
      return new Promise<void>((first) => {
        stops.push(
          db().watch<{ n: number }>('SELECT n FROM probe WHERE id = 1', [], (rows) => {
            seen.push({ value: rows[0]?.n ?? -1, at: epochNow() });
            first();
          }),
        );
      });
    },
    async idleWatches(from, count) {
      await Promise.all(
        Array.from(
          { length: count },
          (_, i) =>
            new Promise<void>((first, failed) => {
              idleWatches++;
              stops.push(
                db().startWatch('SELECT v FROM quiet WHERE id = ?', [from + i], {
                  listener: () => first(),
                  onError: failed,
                  onRun: () => idleRuns++,
                }),
              );
            }),
        ),
      );
    },
    idleRereads: () => idleRuns - idleWatches,
    async probe(first, count, gapMs) {
      const writes: ProbeWrite[] = [];
      for (let value = first; value < first + count; value++) {
        const called = epochNow();
        await db().run('UPDATE probe SET n = ? WHERE id = 1', [value]);
        writes.push({ value, called, acked: epochNow() });
        await new Promise((r) => setTimeout(r, gapMs));
      }
      return writes;
    },
    seen: () => seen,
    stopWatches() {
      for (const stop of stops.splice(0)) stop();
      idleRuns = 0;
      idleWatches = 0;
    },
  };
}
