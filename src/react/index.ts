/**
 * `sqlite-baton/react`: live queries in React components.
 *
 * @example
 * import { useQuery } from 'sqlite-baton/react';
 *
 * function Todos({ db }: { db: Database }) {
 *   const { rows, error, loading } = useQuery<{ id: number; title: string }>(db, 'SELECT id, title FROM todos ORDER BY id');
 *   if (error) return <p>{String(error)}</p>;
 *   return <ul>{rows.map((todo) => <li key={todo.id}>{todo.title}</li>)}</ul>;
 * }
 */
import { useMemo, useRef, useSyncExternalStore } from 'react';
import type { Database } from '../database.ts';
import { LiveStore, type LiveQueryOptions, type LiveState } from '../live-query.ts';
import type { Row, SqlParams } from '../types.ts';
import { paramsKey } from './params-key.ts';

export type { LiveState } from '../live-query.ts';

/** Options of {@link useQuery}: a `key` for keyed rows (unchanged rows keep their identity), and `onError`. */
export type UseQueryOptions<T = Row> = LiveQueryOptions<T>;

const WAITING: LiveState<never> = { rows: [], error: undefined, loading: true };
const nothing = () => () => undefined;
const waiting = () => WAITING;

/**
 * The rows of `sql`, kept current: the component renders again after every commit, from any tab,
 * that changes them. No Suspense: `loading` is true until the first rows, `error` holds the last
 * failure until a run succeeds. `db` may be undefined while it opens. Parameters are compared by
 * value, so a new array at each render keeps the same query; so are `options.key` and
 * `options.onError`, which may be new functions at each render.
 */
export function useQuery<T = Row>(
  db: Database | null | undefined,
  sql: string,
  params?: SqlParams,
  options?: UseQueryOptions<T>,
): LiveState<T> {
  const latest = useRef(options);
  latest.current = options;
  const key = paramsKey(params);
  const keyKind = typeof options?.key === 'function' ? 'function' : options?.key;
  // params is read through `key`; the store reads options through the ref, at each run.
  const store = useMemo(() => (db ? new LiveStore<T>(db, sql, params, () => latest.current) : undefined), [db, sql, key, keyKind]);
  return useSyncExternalStore(store?.subscribe ?? nothing, store?.getSnapshot ?? waiting, store?.getSnapshot ?? waiting) as LiveState<T>;
}
