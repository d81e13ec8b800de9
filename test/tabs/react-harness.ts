/**
 * Page side of the React test: the multi-tab harness (window.db) plus a React 19 app whose list
 * comes from `useQuery` (sqlite-baton/react), in StrictMode, as an app would write it. No JSX, so
 * that the page needs no JSX transform.
 */
import './harness.ts';
import { StrictMode, createElement as h, useState } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import type { Database } from 'sqlite-baton';
import { useQuery } from 'sqlite-baton/react';

interface Todo {
  id: number;
  title: string;
}

declare global {
  interface Window {
    reactHarness: typeof reactHarness;
  }
}

let setDone: ((done: number) => void) | undefined;

function TodoList({ db, sql }: { db: Database | undefined; sql: string }) {
  const [done, set] = useState(0);
  setDone = set;
  // A new params array at every render: the hook must compare it by value.
  const { rows, error, loading } = useQuery<Todo>(db, sql, [done], { key: 'id' });
  reactHarness.renders++;
  if (loading) return h('p', { id: 'status' }, 'loading');
  if (error) return h('p', { id: 'status' }, `error ${(error as { code?: string }).code}`);
  return h(
    'ul',
    { id: 'todos' },
    rows.map((todo) => h('li', { key: todo.id }, todo.title)),
  );
}

let root: Root | undefined;

const reactHarness = {
  renders: 0,
  /** Renders the list of `sql` (one parameter: done) from this tab's database, or with no database yet. */
  mount(sql: string, withDb = true): void {
    root = createRoot(document.getElementById('root')!);
    root.render(h(StrictMode, null, h(TodoList, { db: withDb ? window.db : undefined, sql })));
  },
  showDone(done: number): void {
    setDone!(done);
  },
  unmount(): void {
    root?.unmount();
    root = undefined;
  },
  /** The list as the user sees it. */
  text(): string {
    const list = document.getElementById('todos');
    if (list) return [...list.querySelectorAll('li')].map((li) => li.textContent).join(',');
    return document.getElementById('status')?.textContent ?? '';
  },
};

window.reactHarness = reactHarness;
