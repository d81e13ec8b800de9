/**
 * The "Live view" card: two live queries (`db.watch`) that follow every tab's writes with no
 * polling: the last rows written, from any tab (keyed by id, so new rows can be shown as new),
 * and the rows per tab. Under it, what this tab heard: change events, reads its watches made.
 */
import type { ChangeDetail, Database, Row, RowsDiff } from 'sqlite-baton';
import { errorCode } from './workload.ts';

const LATEST = 'SELECT id, tab, seq, at FROM writes ORDER BY id DESC LIMIT 8';
const PER_TAB = 'SELECT tab, count(*) AS rows, max(seq) AS last_seq FROM writes GROUP BY tab ORDER BY rows DESC LIMIT 8';

function byId(id: string): HTMLElement {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} is missing from the page`);
  return element;
}

function row(cells: Array<string | number>, fresh: boolean, own: boolean): HTMLTableRowElement {
  const tr = document.createElement('tr');
  if (fresh) tr.className = 'fresh';
  if (own) tr.classList.add('me');
  for (const value of cells) {
    const td = document.createElement('td');
    td.textContent = String(value);
    if (typeof value === 'number') td.className = 'num';
    tr.append(td);
  }
  return tr;
}

export interface LiveViewFigures {
  /** Deliveries of each watch so far. */
  latest: number;
  perTab: number;
  /** The rows per tab, as last delivered. */
  tabs: Row[];
  /** Change events this tab heard. */
  changes: number;
}

/** Mounts the card; returns its figures for automation. */
export function mountLiveView(db: Database, tab: string, onError: (text: string) => void): () => LiveViewFigures {
  const figures: LiveViewFigures = { latest: 0, perTab: 0, tabs: [], changes: 0 };
  const report = (error: unknown) => onError(`live view: ${errorCode(error)}`);
  db.watch<{ id: number; tab: string; seq: number; at: number }>(
    LATEST,
    [],
    (rows, diff) => {
      figures.latest++;
      const added = new Set((diff as RowsDiff<Row>).added);
      // On the first delivery every row is new: show none as such.
      const first = figures.latest === 1;
      byId('live-latest').replaceChildren(
        ...rows.map((r) => row([r.id, r.tab, r.seq, new Date(r.at).toLocaleTimeString()], !first && added.has(r), r.tab === tab)),
      );
    },
    { key: 'id', onError: report },
  );
  db.watch<{ tab: string; rows: number; last_seq: number }>(
    PER_TAB,
    [],
    (rows) => {
      figures.perTab++;
      figures.tabs = rows;
      byId('live-per-tab').replaceChildren(...rows.map((r) => row([r.tab, r.rows, r.last_seq], false, r.tab === tab)));
    },
    { onError: report },
  );
  let changes = 0;
  let lastSecond = 0;
  db.addEventListener('change', (event: CustomEvent<ChangeDetail>) => {
    figures.changes++;
    changes++;
    if (event.detail.missed) byId('live-heard').dataset.missed = String(event.detail.epoch);
  });
  setInterval(() => {
    lastSecond = changes;
    changes = 0;
    byId('live-heard').textContent =
      `${lastSecond} commit notice${lastSecond === 1 ? '' : 's'}/s heard · ${figures.latest + figures.perTab} deliveries so far`;
  }, 1_000);
  return () => ({ ...figures, tabs: [...figures.tabs] });
}
