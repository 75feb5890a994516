/**
 * The ZooKeeper paper's Figure 5 for this run: throughput against the percentage of reads, one
 * line per server. Plain SVG written by hand (no dependencies).
 */

export interface Series {
  readonly label: string;
  readonly color: string;
  /** (read percent, ops per second), in increasing percent. */
  readonly points: ReadonlyArray<readonly [number, number]>;
}

const WIDTH = 720;
const HEIGHT = 420;
const MARGIN = { left: 80, right: 150, top: 40, bottom: 60 } as const;
const Y_TICKS = 5;
const X_TICK_STEP_PERCENT = 10;
const PERCENT_MAX = 100;
const MARKER_RADIUS = 3.5;
const LEGEND_LINE_HEIGHT = 22;
/** Series colours, one per server. */
export const SERIES_COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#17becf', '#e377c2'] as const;

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A "nice" axis maximum (1, 2 or 5 times a power of ten) at or above `value`. */
function niceCeiling(value: number): number {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

function formatOps(value: number): string {
  if (value >= 1_000_000) return `${(value / 1_000_000).toFixed(1)}M`;
  if (value >= 1_000) return `${(value / 1_000).toFixed(value >= 10_000 ? 0 : 1)}k`;
  return String(Math.round(value));
}

/** Renders the chart; `subtitle` carries the machine and sizes. */
export function renderChart(title: string, subtitle: string, series: readonly Series[]): string {
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const yMax = niceCeiling(Math.max(1, ...series.flatMap((s) => s.points.map(([, y]) => y))));
  const x = (percent: number): number => MARGIN.left + (percent / PERCENT_MAX) * plotWidth;
  const y = (ops: number): number => MARGIN.top + plotHeight - (ops / yMax) * plotHeight;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
    `<text x="${WIDTH / 2}" y="18" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(title)}</text>`,
    `<text x="${WIDTH / 2}" y="33" text-anchor="middle" fill="#555">${escapeXml(subtitle)}</text>`,
  ];
  for (let i = 0; i <= Y_TICKS; i++) {
    const value = (yMax * i) / Y_TICKS;
    parts.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left + plotWidth}" y1="${y(value)}" y2="${y(value)}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${MARGIN.left - 8}" y="${y(value) + 4}" text-anchor="end">${formatOps(value)}</text>`);
  }
  for (let p = 0; p <= PERCENT_MAX; p += X_TICK_STEP_PERCENT) {
    parts.push(`<line x1="${x(p)}" x2="${x(p)}" y1="${MARGIN.top + plotHeight}" y2="${MARGIN.top + plotHeight + 5}" stroke="#333"/>`);
    parts.push(`<text x="${x(p)}" y="${MARGIN.top + plotHeight + 18}" text-anchor="middle">${p}</text>`);
  }
  parts.push(`<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#333"/>`);
  parts.push(`<text x="${MARGIN.left + plotWidth / 2}" y="${HEIGHT - 15}" text-anchor="middle">Percentage of read requests</text>`);
  parts.push(`<text transform="translate(20 ${MARGIN.top + plotHeight / 2}) rotate(-90)" text-anchor="middle">Operations per second</text>`);
  series.forEach((s, index) => {
    const path = s.points.map(([px, py]) => `${x(px).toFixed(1)},${y(py).toFixed(1)}`).join(' ');
    parts.push(`<polyline points="${path}" fill="none" stroke="${s.color}" stroke-width="2"/>`);
    for (const [px, py] of s.points) parts.push(`<circle cx="${x(px).toFixed(1)}" cy="${y(py).toFixed(1)}" r="${MARKER_RADIUS}" fill="${s.color}"><title>${escapeXml(`${s.label}: ${px}% reads, ${Math.round(py)} op/s`)}</title></circle>`);
    const legendY = MARGIN.top + 10 + index * LEGEND_LINE_HEIGHT;
    const legendX = MARGIN.left + plotWidth + 15;
    parts.push(`<line x1="${legendX}" x2="${legendX + 24}" y1="${legendY}" y2="${legendY}" stroke="${s.color}" stroke-width="2"/>`);
    parts.push(`<text x="${legendX + 30}" y="${legendY + 4}">${escapeXml(s.label)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
