import type { Database } from './database.ts';
import type { Row, SqlParams, SqlValue, Unwatch, WatchOptions } from './types.ts';

/** A live query's state, as a UI shows it. */
export interface LiveState<T = Row> {
  /** The last rows delivered; empty until the first. */
  rows: T[];
  /** The last run's failure, until a run succeeds again. */
  error: unknown;
  /** True until the first run has ended, rows or error. */
  loading: boolean;
}

/**
 * A live query as a store of the plain `subscribe` contract (Svelte stores; Vue, Solid and
 * others adapt it in a line): `subscribe(run)` calls `run` at once with the current state and
 * again at each change, and returns the function that unsubscribes.
 */
export interface LiveQuery<T = Row> {
  subscribe(run: (state: LiveState<T>) => void): () => void;
}

/** Options of {@link liveQuery}: those of `db.watch` but the signal (unsubscribing stops it). */
export type LiveQueryOptions<T = Row> = Pick<WatchOptions<T>, 'key' | 'onError'>;

/**
 * @internal One live query's state for any number of subscribers: the watch runs while at least
 * one subscribes (so a component that mounts twice, or a store read in two places, reads once),
 * and the state object is replaced only when something changed, as React's
 * useSyncExternalStore requires.
 */
export class LiveStore<T = Row> {
  private state: LiveState<T> = { rows: [], error: undefined, loading: true };
  private readonly listeners = new Set<() => void>();
  private stop: Unwatch | undefined;

  constructor(
    private readonly db: Database,
    private readonly sql: string,
    private readonly params: SqlParams | undefined,
    /** Read at each run, so that a new function each render does not restart the watch. */
    private readonly options: () => LiveQueryOptions<T> | undefined,
  ) {}

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    if (this.listeners.size === 1) this.start();
    return () => {
      if (!this.listeners.delete(listener) || this.listeners.size > 0) return;
      this.stop?.();
      this.stop = undefined;
    };
  };

  readonly getSnapshot = (): LiveState<T> => this.state;

  private start(): void {
    try {
      const key = this.options()?.key;
      this.stop = this.db.startWatch(this.sql, this.params, {
        listener: (rows) => this.set({ rows: rows as T[], error: undefined, loading: false }),
        onError: (error) => {
          this.set({ rows: this.state.rows, error, loading: false });
          this.options()?.onError?.(error);
        },
        // A key function is taken anew at each run, like onError.
        key: typeof key === 'function' ? (row) => this.keyOf(row as T, key) : key,
        // A run that delivered nothing new still ends a failure, or the wait for the first rows.
        onRun: (outcome) => {
          if (outcome.ok && (this.state.error !== undefined || this.state.loading)) {
            this.set({ rows: this.state.rows, error: undefined, loading: false });
          }
        },
      });
    } catch (error) {
      // Bad arguments or a closed database: a state, like any other failure.
      this.set({ rows: this.state.rows, error, loading: false });
    }
  }

  private keyOf(row: T, first: (row: T) => SqlValue): SqlValue {
    const key = this.options()?.key;
    return (typeof key === 'function' ? key : first)(row);
  }

  private set(state: LiveState<T>): void {
    const now = this.state;
    if (now.rows === state.rows && now.error === state.error && now.loading === state.loading) return;
    this.state = state;
    for (const listener of [...this.listeners]) listener();
  }
}

/**
 * A live query as a store: `subscribe(run)` runs `db.watch` while anyone subscribes.
 *
 * @example
 * // Svelte: {#each $todos.rows as todo}...{/each}
 * const todos = liveQuery(db, 'SELECT * FROM todos ORDER BY id');
 * // Anywhere else:
 * const unsubscribe = todos.subscribe(({ rows, error, loading }) => render(rows));
 */
export function liveQuery<T = Row>(db: Database, sql: string, params?: SqlParams, options?: LiveQueryOptions<T>): LiveQuery<T> {
  const store = new LiveStore<T>(db, sql, params, () => options);
  return {
    subscribe(run) {
      const unsubscribe = store.subscribe(() => run(store.getSnapshot()));
      run(store.getSnapshot());
      return unsubscribe;
    },
  };
}
