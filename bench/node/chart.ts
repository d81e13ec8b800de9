/**
 * The chart the README shows: hand-written SVG (no library), four panels from the medians.
 */
import type { Medians, Meta } from './report.ts';
import { TAB_COUNTS, type SubjectId } from './plan.ts';

const WIDTH = 1000;
const PANEL_W = 470;
const PANEL_H = 360;
const FONT = 'font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif"';

const COLORS: Record<string, string> = {
  A_wal: '#6b7280',
  A_rollback: '#a3a3a3',
  B: '#2563eb',
  C: '#60a5fa',
  D: '#ea580c',
  E: '#9333ea',
  F: '#059669',
  G: '#b45309',
  G_idb: '#d97706',
  H: '#db2777',
};

const NAMES: Record<string, string> = {
  A_wal: 'A raw sqlite-wasm, WAL',
  A_rollback: 'A raw, rollback journal',
  B: 'sqlite-baton, leader tab',
  C: 'sqlite-baton, follower tab',
  D: 'naive: connection per tab',
  E: 'SQLocal 0.18',
  F: 'wa-sqlite (PowerSync)',
  G: 'PGlite, OPFS',
  G_idb: 'PGlite, IndexedDB',
  H: 'Dexie, IndexedDB',
};

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function text(x: number, y: number, content: string, attrs = ''): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${attrs}>${escape(content)}</text>`;
}

function short(value: number, unit: string): string {
  if (unit === 'ms')
    return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value >= 1 ? value.toFixed(2) : value.toFixed(3);
  if (value >= 1_000_000) return `${(value / 1_000_000).toFixed(2)}M`;
  if (value >= 10_000) return `${(value / 1000).toFixed(0)}k`;
  if (value >= 1000) return `${(value / 1000).toFixed(1)}k`;
  return value.toFixed(0);
}

interface Bar {
  value: number | undefined;
  color: string;
  faded?: boolean;
}

interface BarGroup {
  label: string;
  bars: Bar[];
}

/**
 * Horizontal grouped bars: one row per group, its bars stacked vertically, value at the end.
 * Latencies span four orders of magnitude (a raw read, a reader starved by another tab), so
 * those panels use a log scale, drawn with a grid line per decade.
 */
function horizontalPanel(x: number, y: number, title: string, unit: string, groups: BarGroup[], legend: string[], log = false): string {
  const out: string[] = [];
  out.push(text(x, y + 16, title, `${FONT} font-size="15" font-weight="600" fill="#111827"`));
  out.push(text(x, y + 34, legend.join('   '), `${FONT} font-size="11" fill="#4b5563"`));
  const top = y + 46;
  const labelW = 150;
  const plotW = PANEL_W - labelW - 70;
  const values = groups.flatMap((g) => g.bars.map((b) => b.value ?? 0)).filter((v) => v > 0);
  const max = Math.max(...values, 1e-9);
  // A decade below the smallest value at least, so that the smallest bar is still visible.
  const floor = log ? 10 ** Math.floor(Math.log10(Math.min(...values, max)) - 0.3) : 0;
  const ceiling = log ? 10 ** Math.ceil(Math.log10(max)) : max;
  const width = (v: number) =>
    log ? (Math.log10(Math.max(v, floor) / floor) / Math.log10(ceiling / floor)) * plotW : (v / ceiling) * plotW;
  const groupH = (PANEL_H - 70) / Math.max(groups.length, 1);
  if (log) {
    const bottom = top + groups.length * groupH;
    for (let decade = floor; decade <= ceiling * 1.0001; decade *= 10) {
      const gx = x + labelW + width(decade);
      out.push(`<line x1="${gx.toFixed(1)}" y1="${top - 2}" x2="${gx.toFixed(1)}" y2="${bottom.toFixed(1)}" stroke="#e5e7eb"/>`);
      out.push(text(gx, bottom + 12, short(decade, unit), `${FONT} font-size="9" fill="#9ca3af" text-anchor="middle"`));
    }
    out.push(text(x + labelW + plotW, bottom + 24, `${unit}, log scale`, `${FONT} font-size="9" fill="#9ca3af" text-anchor="end"`));
  }
  for (const [i, group] of groups.entries()) {
    const gy = top + i * groupH;
    const barH = Math.min(14, (groupH - 6) / group.bars.length);
    out.push(
      text(x + labelW - 8, gy + (group.bars.length * barH) / 2 + 4, group.label, `${FONT} font-size="12" fill="#111827" text-anchor="end"`),
    );
    for (const [j, bar] of group.bars.entries()) {
      const by = gy + j * barH;
      if (bar.value === undefined) {
        out.push(text(x + labelW + 2, by + barH - 3, 'failed (see the notes)', `${FONT} font-size="10" fill="#9ca3af"`));
        continue;
      }
      const w = Math.max(1, width(bar.value));
      out.push(
        `<rect x="${x + labelW}" y="${by.toFixed(1)}" width="${w.toFixed(1)}" height="${(barH - 2).toFixed(1)}" fill="${bar.color}"${bar.faded ? ' fill-opacity="0.45"' : ''}/>`,
      );
      out.push(text(x + labelW + w + 4, by + barH - 3.5, `${short(bar.value, unit)} ${unit}`, `${FONT} font-size="10" fill="#374151"`));
    }
  }
  return out.join('\n');
}

/** 1, 2, 2.5 or 5 times a power of ten, at least `raw`. */
function niceStep(raw: number): number {
  const power = 10 ** Math.floor(Math.log10(raw));
  return ([1, 2, 2.5, 5, 10].find((m) => m * power >= raw) ?? 10) * power;
}

interface TabsPanel {
  title: string;
  /** Metric name before `tabs<n>.rate`: '' or 'slow.'. */
  prefix: string;
  counts: readonly number[];
  subjects: SubjectId[];
  /** The target line, as a multiple of A's one-writer rate. */
  factor: number;
}

/** Writes/s of N tabs (vertical grouped bars), with A's one-writer rate and the target multiple of it. */
function tabsPanel(x: number, y: number, medians: Medians, panel: TabsPanel): string {
  const out: string[] = [];
  const { subjects, counts, prefix, factor } = panel;
  out.push(text(x, y + 16, panel.title, `${FONT} font-size="15" font-weight="600" fill="#111827"`));
  out.push(
    text(
      x,
      y + 34,
      'acknowledged writes/s (higher is better); each tab awaits each write; red: errors',
      `${FONT} font-size="11" fill="#4b5563"`,
    ),
  );
  const aRate = medians.A_wal?.[`${prefix}tabs1.rate`] ?? (prefix ? undefined : medians.A_wal?.['write.rate']);
  const values = subjects.flatMap((s) => counts.map((n) => medians[s]?.[`${prefix}tabs${n}.rate`] ?? 0));
  const top = Math.max(...values, aRate !== undefined ? factor * aRate : 0, 1) * 1.05;
  const step = niceStep(top / 4);
  const max = Math.ceil(top / step) * step;
  const left = x + 44;
  const bottom = y + PANEL_H - 50;
  const plotH = PANEL_H - 116;
  const plotW = PANEL_W - 60;
  const scale = (v: number) => bottom - (v / max) * plotH;
  out.push(`<line x1="${left}" y1="${bottom}" x2="${left + plotW}" y2="${bottom}" stroke="#9ca3af"/>`);
  for (let v = 0; v <= max + step / 2; v += step) {
    out.push(`<line x1="${left}" y1="${scale(v).toFixed(1)}" x2="${left + plotW}" y2="${scale(v).toFixed(1)}" stroke="#e5e7eb"/>`);
    out.push(text(left - 4, scale(v) + 4, short(v, '/s'), `${FONT} font-size="10" fill="#6b7280" text-anchor="end"`));
  }
  const groupW = plotW / counts.length;
  const barW = (groupW - 16) / subjects.length;
  for (const [g, n] of counts.entries()) {
    const gx = left + g * groupW + 8;
    for (const [i, s] of subjects.entries()) {
      const v = medians[s]?.[`${prefix}tabs${n}.rate`];
      const bx = gx + i * barW;
      if (v === undefined) continue;
      out.push(
        `<rect x="${bx.toFixed(1)}" y="${scale(v).toFixed(1)}" width="${(barW - 2).toFixed(1)}" height="${(bottom - scale(v)).toFixed(1)}" fill="${COLORS[s]}"/>`,
      );
      out.push(text(bx + barW / 2 - 1, scale(v) - 3, short(v, '/s'), `${FONT} font-size="9" fill="#374151" text-anchor="middle"`));
      const errors = medians[s]?.[`${prefix}tabs${n}.errors`];
      if (errors !== undefined && errors > 0) {
        out.push(
          text(bx + barW / 2 - 1, scale(v) - 13, `${Math.round(errors)} err`, `${FONT} font-size="9" fill="#dc2626" text-anchor="middle"`),
        );
      }
    }
    out.push(
      text(
        gx + (groupW - 16) / 2,
        bottom + 14,
        `${n} tab${n > 1 ? 's' : ''}`,
        `${FONT} font-size="12" fill="#111827" text-anchor="middle"`,
      ),
    );
  }
  if (aRate !== undefined) {
    for (const [times, label, dash] of [
      [1, `A raw WAL, one writer: ${short(aRate, '/s')}/s`, '4 3'],
      [factor, `target: ${factor}x A`, '1 3'],
    ] as const) {
      const ly = scale(aRate * times);
      out.push(
        `<line x1="${left}" y1="${ly.toFixed(1)}" x2="${left + plotW}" y2="${ly.toFixed(1)}" stroke="#111827" stroke-dasharray="${dash}"/>`,
      );
      // A's label on the left, above the 1-tab group, clear of the tallest (8-tab) bars' labels.
      const atLeft = times === 1;
      out.push(
        text(
          atLeft ? left + 4 : left + plotW,
          ly - 3,
          label,
          `${FONT} font-size="10" fill="#111827" text-anchor="${atLeft ? 'start' : 'end'}"`,
        ),
      );
    }
  }
  // The legend in two rows when it would not fit in one.
  let lx = left;
  let legendY = bottom + 30;
  for (const s of subjects) {
    const name = s === 'B' ? 'sqlite-baton' : NAMES[s]!;
    const width = 24 + name.length * 6.2;
    if (lx + width > left + plotW + 10) {
      lx = left;
      legendY += 15;
    }
    out.push(`<rect x="${lx}" y="${legendY - 9}" width="10" height="10" fill="${COLORS[s]}"/>`);
    out.push(text(lx + 14, legendY, name, `${FONT} font-size="11" fill="#374151"`));
    lx += width;
  }
  return out.join('\n');
}

export function drawChart(medians: Medians, meta: Meta): string {
  const m = (s: SubjectId, metric: string) => medians[s]?.[metric];
  const subjects: SubjectId[] = ['A_wal', 'A_rollback', 'B', 'C', 'D', 'E', 'F', 'G', 'G_idb', 'H'];
  const label = (s: SubjectId) => NAMES[s]!;
  const measured = (s: SubjectId, ...metrics: string[]) => metrics.some((metric) => m(s, metric) !== undefined);

  const reads = horizontalPanel(
    WIDTH - PANEL_W - 20,
    20,
    'Point read by primary key, p50',
    'ms',
    subjects
      .filter((s) => s !== 'A_rollback' && measured(s, 'read.p50'))
      .map((s) => ({
        label: label(s),
        bars: [
          // B and C pages have a 100 µs timer; their reads repeated in isolated pages have 5 µs.
          { value: (s === 'B' || s === 'C' ? m(s, 'readFine.p50') : undefined) ?? m(s, 'read.p50'), color: COLORS[s]! },
          ...(s === 'A_wal' || s === 'G_idb' ? [] : [{ value: m(s, 'readLoad.p50'), color: COLORS[s]!, faded: true }]),
        ],
      })),
    ['solid: idle (baton: 5 µs timer)', 'faded: while another tab writes', '(lower is better)'],
    true,
  );
  const writes = horizontalPanel(
    20,
    PANEL_H + 50,
    'Single-row durable write latency',
    'ms',
    subjects
      .filter((s) => measured(s, 'write.p50'))
      .map((s) => ({
        label: label(s),
        bars: [
          { value: m(s, 'write.p50'), color: COLORS[s]! },
          { value: m(s, 'write.p99'), color: COLORS[s]!, faded: true },
        ],
      })),
    ['solid: p50', 'faded: p99', 'autocommit INSERT, awaited one by one (lower is better)'],
    true,
  );
  const bulk = horizontalPanel(
    WIDTH - PANEL_W - 20,
    PANEL_H + 50,
    '100,000-row insert',
    'rows/s',
    subjects
      .filter((s) => measured(s, 'bulk.batch', 'bulk.chunks'))
      .map((s) => ({
        label: label(s) + (m(s, 'bulk.rows') !== undefined ? ` (${short(m(s, 'bulk.rows')!, '')} rows)` : ''),
        bars: [
          { value: m(s, 'bulk.batch'), color: COLORS[s]! },
          { value: m(s, 'bulk.chunks'), color: COLORS[s]!, faded: true },
        ],
      })),
    ['solid: one batch', 'faded: 1,000-row batches', '(higher is better, log scale)'],
    true,
  );
  const slow = tabsPanel(20, 2 * PANEL_H + 80, medians, {
    title: `Slow flush (+${meta.slowFlushMs ?? '?'} ms per sync, as on macOS): writes/s`,
    prefix: 'slow.',
    counts: [1, 8],
    subjects: ['B', 'F', 'G', 'H'],
    factor: 10,
  });
  const stalls = horizontalPanel(
    WIDTH - PANEL_W - 20,
    2 * PANEL_H + 80,
    "One tab's long call, the other tabs' small writes",
    'ms',
    [
      { label: '50 MB blob write', bars: [m('A_wal', 'blob.write.ms'), m('C', 'blob.write.ms')] },
      { label: '50 MB point read', bars: [m('A_wal', 'blob.read.ms'), m('C', 'blob.read.ms')] },
      { label: '50 MB read, batch', bars: [undefined, m('C', 'blob.batchRead.ms')] },
      { label: 'others, longest wait', bars: [undefined, m('C', 'blob.others.during.max')] },
      { label: 'a 3 s read', bars: [undefined, m('C', 'longRead.ms')] },
      { label: 'others, p99 meanwhile', bars: [undefined, m('C', 'longRead.others.during.p99')] },
      { label: 'others, p99 before', bars: [undefined, m('C', 'longRead.others.before.p99')] },
    ]
      .filter((group) => group.bars.some((v) => v !== undefined))
      .map((group) => ({
        label: group.label,
        bars: group.bars.flatMap((value, i) =>
          i === 0 && value === undefined ? [] : [{ value, color: i === 0 ? COLORS.A_wal! : COLORS.C! }],
        ),
      })),
    ['grey: A raw, in its worker', 'blue: from a follower, 2 tabs writing'],
    true,
  );
  const height = 3 * PANEL_H + 140;
  const footer = `${meta.browser} headless, ${meta.profile === 'disk' ? 'on-disk profile' : 'in-memory profile'}, fsync ${meta.fsyncMs.toFixed(2)} ms, ${meta.cpus} CPUs; median of ${meta.runs} run${meta.runs > 1 ? 's' : ''} (${meta.mode}); ${meta.date.slice(0, 10)}`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="sqlite-baton benchmark">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    tabsPanel(20, 20, medians, {
      title: 'Durable single-row writes, all tabs together',
      prefix: '',
      counts: TAB_COUNTS,
      subjects: ['B', 'D', 'E', 'F', 'G', 'H'],
      factor: 5,
    }),
    reads,
    writes,
    bulk,
    slow,
    stalls,
    text(20, height - 14, footer, `${FONT} font-size="11" fill="#6b7280"`),
    '</svg>',
    '',
  ].join('\n');
}
