/**
 * A small live chart on a canvas, no chart library: throughput (all tabs as an area, this tab as
 * a line) above, latency (p50 and p99 of all tabs, log scale, since a failover turns milliseconds
 * into seconds) below, and a marker at each change of leader. Colours come from the page's CSS
 * variables, so the chart follows the light or dark theme.
 */

export interface ChartSample {
  /** Date.now() */
  t: number;
  allRate: number;
  thisRate: number;
  p50: number;
  p99: number;
}

interface Marker {
  t: number;
  label: string;
}

const SPAN_MS = 90_000;

/** The smallest 1, 2 or 5 × 10^k at or above `value`. */
function niceCeiling(value: number): number {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

function formatAxisMs(ms: number): string {
  return ms >= 1000 ? `${ms / 1000} s` : `${ms} ms`;
}

export class LiveChart {
  private samples: ChartSample[] = [];
  private markers: Marker[] = [];

  constructor(private readonly canvas: HTMLCanvasElement) {
    new ResizeObserver(() => this.draw()).observe(canvas);
  }

  push(sample: ChartSample): void {
    this.samples.push(sample);
    this.forget(sample.t);
    this.draw();
  }

  mark(label: string, t = Date.now()): void {
    this.markers.push({ t, label });
  }

  draw(): void {
    const dpr = window.devicePixelRatio || 1;
    const width = this.canvas.clientWidth;
    const height = this.canvas.clientHeight;
    if (width === 0 || height === 0) return;
    if (this.canvas.width !== Math.round(width * dpr) || this.canvas.height !== Math.round(height * dpr)) {
      this.canvas.width = Math.round(width * dpr);
      this.canvas.height = Math.round(height * dpr);
    }
    const ctx = this.canvas.getContext('2d');
    if (!ctx) return;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, width, height);

    const css = getComputedStyle(this.canvas);
    const color = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
    const colors = {
      all: color('--chart-all', '#2563eb'),
      this: color('--chart-this', '#f59e0b'),
      p50: color('--chart-p50', '#10b981'),
      p99: color('--chart-p99', '#ef4444'),
      grid: color('--chart-grid', 'rgba(128,128,128,0.2)'),
      text: color('--chart-text', '#6b7280'),
    };
    ctx.font = '11px system-ui, sans-serif';

    const now = Date.now();
    const left = 54;
    const right = width - 8;
    const x = (t: number) => right - ((now - t) / SPAN_MS) * (right - left);
    const gap = 22;
    const topPanel = { y0: 8, y1: Math.round((height - gap) * 0.58) };
    const bottomPanel = { y0: topPanel.y1 + gap, y1: height - 16 };

    // Throughput, linear.
    const maxRate = niceCeiling(Math.max(1, ...this.samples.map((s) => Math.max(s.allRate, s.thisRate))));
    const yRate = (v: number) => topPanel.y1 - (v / maxRate) * (topPanel.y1 - topPanel.y0);
    this.gridLines(
      ctx,
      colors,
      left,
      right,
      [0, maxRate / 2, maxRate].map((v) => ({ y: yRate(v), label: String(v) })),
    );
    ctx.fillStyle = colors.text;
    ctx.fillText('rows/s', left + 4, topPanel.y0 + 10);
    this.area(ctx, x, yRate, (s) => s.allRate, colors.all, topPanel.y1);
    this.line(ctx, x, yRate, (s) => s.allRate, colors.all, 2);
    this.line(ctx, x, yRate, (s) => s.thisRate, colors.this, 2);

    // Latency, log scale from 1 ms to a ceiling that fits the worst p99.
    const worst = Math.max(10, ...this.samples.map((s) => (Number.isFinite(s.p99) ? s.p99 : 0)));
    const maxLog = Math.ceil(Math.log10(worst));
    const yLat = (ms: number) => {
      const v = Math.min(Math.max(Math.log10(Math.max(ms, 1)), 0), maxLog);
      return bottomPanel.y1 - (v / maxLog) * (bottomPanel.y1 - bottomPanel.y0);
    };
    const decades = Array.from({ length: maxLog + 1 }, (_, i) => 10 ** i);
    this.gridLines(
      ctx,
      colors,
      left,
      right,
      decades.map((ms) => ({ y: yLat(ms), label: formatAxisMs(ms) })),
    );
    ctx.fillStyle = colors.text;
    ctx.fillText('latency', left + 4, bottomPanel.y0 + 10);
    this.line(ctx, x, yLat, (s) => s.p50, colors.p50, 1.5);
    this.line(ctx, x, yLat, (s) => s.p99, colors.p99, 1.5);

    // Time axis and leader changes.
    ctx.fillStyle = colors.text;
    for (const ago of [90, 60, 30, 0]) {
      ctx.textAlign = ago === 90 ? 'left' : ago === 0 ? 'right' : 'center';
      ctx.fillText(ago === 0 ? 'now' : `-${ago}s`, x(now - ago * 1000), height - 3);
    }
    ctx.textAlign = 'left';
    let lastLabelEnd = -Infinity;
    let row = 0;
    for (const marker of this.markers) {
      const mx = Math.round(x(marker.t)) + 0.5;
      if (mx < left) continue;
      ctx.strokeStyle = colors.text;
      ctx.setLineDash([3, 3]);
      ctx.lineWidth = 1;
      ctx.beginPath();
      ctx.moveTo(mx, topPanel.y0);
      ctx.lineTo(mx, bottomPanel.y1);
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillStyle = colors.text;
      const labelWidth = ctx.measureText(marker.label).width;
      const lx = Math.max(left, Math.min(mx + 3, right - labelWidth));
      // Markers close together: put the next label on the next line rather than on top.
      row = lx < lastLabelEnd + 6 ? (row + 1) % 3 : 0;
      lastLabelEnd = lx + labelWidth;
      ctx.fillText(marker.label, lx, topPanel.y0 + 22 + row * 13);
    }
  }

  private forget(now: number): void {
    while (this.samples.length > 0 && this.samples[0]!.t < now - SPAN_MS - 2_000) this.samples.shift();
    this.markers = this.markers.filter((m) => m.t >= now - SPAN_MS);
  }

  private gridLines(
    ctx: CanvasRenderingContext2D,
    colors: { grid: string; text: string },
    left: number,
    right: number,
    lines: Array<{ y: number; label: string }>,
  ): void {
    ctx.lineWidth = 1;
    ctx.textAlign = 'right';
    for (const { y, label } of lines) {
      const yy = Math.round(y) + 0.5;
      ctx.strokeStyle = colors.grid;
      ctx.beginPath();
      ctx.moveTo(left, yy);
      ctx.lineTo(right, yy);
      ctx.stroke();
      ctx.fillStyle = colors.text;
      ctx.fillText(label, left - 6, yy + 4);
    }
    ctx.textAlign = 'left';
  }

  private line(
    ctx: CanvasRenderingContext2D,
    x: (t: number) => number,
    y: (v: number) => number,
    value: (s: ChartSample) => number,
    color: string,
    width: number,
  ): void {
    ctx.strokeStyle = color;
    ctx.lineWidth = width;
    ctx.lineJoin = 'round';
    ctx.beginPath();
    let drawing = false;
    for (const sample of this.samples) {
      const v = value(sample);
      if (!Number.isFinite(v)) {
        drawing = false;
        continue;
      }
      if (drawing) ctx.lineTo(x(sample.t), y(v));
      else ctx.moveTo(x(sample.t), y(v));
      drawing = true;
    }
    ctx.stroke();
  }

  private area(
    ctx: CanvasRenderingContext2D,
    x: (t: number) => number,
    y: (v: number) => number,
    value: (s: ChartSample) => number,
    color: string,
    baseline: number,
  ): void {
    const points = this.samples.filter((s) => Number.isFinite(value(s)));
    if (points.length < 2) return;
    ctx.beginPath();
    ctx.moveTo(x(points[0]!.t), baseline);
    for (const s of points) ctx.lineTo(x(s.t), y(value(s)));
    ctx.lineTo(x(points[points.length - 1]!.t), baseline);
    ctx.closePath();
    ctx.globalAlpha = 0.15;
    ctx.fillStyle = color;
    ctx.fill();
    ctx.globalAlpha = 1;
  }
}
