/**
 * The query card: one statement through `db.all`, its rows as a table (values set as text, never
 * as HTML: the data is whatever any tab wrote).
 */
import type { Database, Row } from 'sqlite-baton';
import { errorCode } from './workload.ts';

const MAX_SHOWN = 200;

function cell(tag: 'th' | 'td', value: unknown): HTMLElement {
  const element = document.createElement(tag);
  if (value === null) {
    element.textContent = 'NULL';
    element.className = 'muted';
  } else if (value instanceof Uint8Array) {
    element.textContent = `<${value.length} bytes>`;
  } else {
    element.textContent = String(value);
  }
  if (typeof value === 'number' || typeof value === 'bigint') element.classList.add('num');
  return element;
}

function renderRows(rows: Row[]): HTMLTableElement {
  const table = document.createElement('table');
  const columns = Object.keys(rows[0] ?? {});
  const head = table.createTHead().insertRow();
  for (const column of columns) {
    const th = cell('th', column);
    const first = rows[0]?.[column];
    if (typeof first === 'number' || typeof first === 'bigint') th.classList.add('num');
    head.append(th);
  }
  const body = table.createTBody();
  for (const row of rows.slice(0, MAX_SHOWN)) {
    const tr = body.insertRow();
    for (const column of columns) tr.append(cell('td', row[column]));
  }
  return table;
}

export function mountSqlBox(db: Database): { run(sql: string): Promise<Row[]> } {
  const form = document.getElementById('sql-form') as HTMLFormElement;
  const input = document.getElementById('sql') as HTMLTextAreaElement;
  const meta = document.getElementById('sql-meta') as HTMLElement;
  const result = document.getElementById('sql-result') as HTMLElement;

  const run = async (sql: string): Promise<Row[]> => {
    meta.className = 'muted small';
    meta.textContent = 'running…';
    const started = performance.now();
    try {
      const rows = await db.all(sql);
      const ms = performance.now() - started;
      const shown = rows.length > MAX_SHOWN ? ` (first ${MAX_SHOWN} shown)` : '';
      meta.textContent = `${rows.length.toLocaleString('en-US')} row${rows.length === 1 ? '' : 's'}${shown} in ${ms.toFixed(1)} ms`;
      result.replaceChildren(...(rows.length > 0 ? [renderRows(rows)] : []));
      return rows;
    } catch (error) {
      meta.className = 'small error';
      meta.textContent = `${errorCode(error)}: ${error instanceof Error ? error.message : String(error)}`;
      result.replaceChildren();
      throw error;
    }
  };

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    run(input.value).catch(() => undefined);
  });
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) form.requestSubmit();
  });
  for (const button of document.querySelectorAll<HTMLButtonElement>('#sql-examples button')) {
    button.addEventListener('click', () => {
      input.value = button.dataset.sql ?? '';
      form.requestSubmit();
    });
  }
  return { run };
}
