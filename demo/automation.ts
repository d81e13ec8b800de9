/**
 * `window.__demo`: what scripts/stress.ts, scripts/screenshot.ts and test/tabs/demo.test.ts drive
 * the demo page through, so that they run the page's own workload, not a copy of it.
 * The page also sets `window.__harnessReady` (the flag test/support/tabs.ts waits for).
 */
import type { Row, Status } from 'sqlite-baton';
import type { FiguresSnapshot } from './figures-view.ts';
import type { LiveViewFigures } from './live-view.ts';
import type { Drained, StopResult, WorkloadConfig } from './workload.ts';

export interface DemoApi {
  /** This tab's id (the `tab` column of its rows). */
  readonly tab: string;
  readonly dbName: string;
  /** Starts (or reconfigures) the writers, as the form does; `keepLog` records every call for drain(). */
  start(config?: Partial<WorkloadConfig>, options?: { keepLog?: boolean }): void;
  /** Stops the writers and waits up to `timeoutMs` for the calls in flight. */
  stop(timeoutMs?: number): Promise<StopResult>;
  /** Calls settled since the last drain (with keepLog), and the calls in flight now. */
  drain(): Drained;
  status(): Promise<Status>;
  figures(): FiguresSnapshot;
  query(sql: string): Promise<Row[]>;
  /** What the live view (db.watch) has delivered so far. */
  liveView(): LiveViewFigures;
  /** The "crash this tab" button: `terminateWorker(db)` of sqlite-baton/testing. */
  crash(): Promise<void>;
}

declare global {
  interface Window {
    __demo?: DemoApi;
    __harnessReady?: boolean;
    __harnessError?: string;
  }
}
