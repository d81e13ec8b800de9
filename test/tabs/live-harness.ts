/**
 * Page side of the live-query tests: the multi-tab harness (window.db, window.harness) plus
 * `window.live`, which starts watches and keeps what each delivered, how many reads each made and
 * which change events this tab heard, for the test to read back.
 */
import './harness.ts';
import type { ChangeDetail, Row, RowsDiff, Unwatch } from 'sqlite-baton';

interface Recorded {
  deliveries: Array<{ rows: Row[]; diff?: RowsDiff }>;
  errors: string[];
  /** Reads made (successful or not), counted by the watch itself. */
  runs: number;
  stop?: Unwatch;
}

declare global {
  interface Window {
    live: typeof live;
  }
}

const watches = new Map<string, Recorded>();

const live = {
  changes: [] as ChangeDetail[],

  /** Records this tab's change events from now on. */
  hearChanges(): void {
    window.db.addEventListener('change', (event) => live.changes.push(event.detail));
  },

  /** Starts watch `id`; `key` asks for keyed diffs. */
  watch(id: string, sql: string, params: unknown[] = [], key?: string): void {
    const recorded: Recorded = { deliveries: [], errors: [], runs: 0 };
    recorded.stop = window.db.startWatch(sql, params as [], {
      listener: (rows, diff) => recorded.deliveries.push(diff ? { rows, diff } : { rows }),
      onError: (error) => recorded.errors.push(String((error as { code?: string }).code ?? error)),
      key,
      onRun: () => recorded.runs++,
    });
    watches.set(id, recorded);
  },

  stop(id: string): void {
    watches.get(id)!.stop?.();
  },

  /** What watch `id` has done so far (rows as JSON-safe values: the tests' tables hold numbers and text). */
  state(id: string): { deliveries: Array<{ rows: Row[]; diff?: RowsDiff }>; errors: string[]; runs: number } {
    const { deliveries, errors, runs } = watches.get(id)!;
    return { deliveries, errors, runs };
  },

  /** The rows of watch `id`'s last delivery, or null before the first. */
  last(id: string): Row[] | null {
    const { deliveries } = watches.get(id)!;
    return deliveries.at(-1)?.rows ?? null;
  },
};

window.live = live;
