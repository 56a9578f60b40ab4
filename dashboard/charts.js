// The charts, drawn by uPlot (dashboard/vendor/, copied from npm by scripts/install): lines over
// days, bars per category, and rows of bars or intervals against a band or around 0. Each chart
// is a figure whose canvas is an image with a text summary (`role="img"`); the numbers it draws
// are in a table of the page, which the caption names.

import { h, uniqueId } from './dom.js';

export const COLORS = {
  teal: '#0f766e',
  blue: '#1d4ed8',
  amber: '#b45309',
  purple: '#7e22ce',
  slate: '#334155',
  grid: '#e2e8f0',
  band: 'rgba(15, 118, 110, 0.16)',
  red: '#b91c1c',
};
const FONT_FAMILY = 'system-ui, -apple-system, "Segoe UI", "Hiragino Sans", "Noto Sans JP", "IPAPGothic", sans-serif';
const FONT = `12px ${FONT_FAMILY}`;

/** The charts on screen, destroyed before the next page replaces them. */
const live = new Set();

export function destroyCharts() {
  for (const chart of live) chart.destroy();
  live.clear();
}

/**
 * A figure: its caption, the chart (made by `make(width)` once the figure has a width, resized
 * with it), a legend, and the summary a screen reader reads in place of the canvas.
 */
function figure({ title, summary, legend, note, height, make }) {
  const captionId = uniqueId('figure');
  const area = h('div', { class: 'chart', role: 'img', 'aria-label': summary });
  area.style.height = `${height}px`;
  const readout = h('p', { class: 'readout', 'aria-hidden': 'true' });
  const node = h('figure', { class: 'chart-figure', 'aria-labelledby': captionId },
    h('figcaption', { id: captionId }, h('span', { class: 'figure-title' }, title), note ? h('span', { class: 'figure-note' }, note) : null),
    legend ? h('ul', { class: 'legend' }, legend.map((item) => h('li', {},
      swatch(item.color, item.dash, item.block), item.label))) : null,
    area, readout);
  let plot = null;
  const observer = new ResizeObserver(() => {
    const width = Math.floor(area.clientWidth);
    if (width <= 0 || !window.uPlot) return;
    if (!plot) plot = make(width, height, area, readout);
    else if (plot.width !== width) plot.setSize({ width, height });
  });
  observer.observe(area);
  live.add({
    destroy() {
      observer.disconnect();
      plot?.destroy();
    },
  });
  return node;
}

function swatch(color, dash, block) {
  const mark = h('span', { class: `swatch${dash ? ' dashed' : ''}${block ? ' block' : ''}`, 'aria-hidden': 'true' });
  if (block) mark.style.backgroundColor = color;
  else mark.style.borderColor = color;
  return mark;
}

function axis(extra = {}) {
  return { font: FONT, stroke: COLORS.slate, grid: { stroke: COLORS.grid, width: 1 }, ticks: { stroke: COLORS.grid }, ...extra };
}

const INTEGER_STEPS = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 200_000, 500_000, 1e6];

/** A horizontal line across the plot at `value`, with a label at its right end. */
function drawThreshold(u, value, label, color) {
  const { ctx } = u;
  const ratio = window.uPlot.pxRatio;
  const y = Math.round(u.valToPos(value, 'y', true));
  ctx.save();
  ctx.strokeStyle = color;
  ctx.setLineDash([4 * ratio, 4 * ratio]);
  ctx.lineWidth = ratio;
  ctx.beginPath();
  ctx.moveTo(u.bbox.left, y);
  ctx.lineTo(u.bbox.left + u.bbox.width, y);
  ctx.stroke();
  ctx.setLineDash([]);
  ctx.fillStyle = color;
  ctx.font = `${11 * ratio}px ${FONT_FAMILY}`;
  ctx.textAlign = 'right';
  ctx.textBaseline = 'bottom';
  ctx.fillText(label, u.bbox.left + u.bbox.width - 4 * ratio, y - 2 * ratio);
  ctx.restore();
}

/**
 * Lines over days: `days` are `YYYY-MM-DD`, each series `{label, values, color, dash}`. `y` gives
 * the scale's `max` (at least) and the `format` of its values; `thresholds` are lines across.
 */
export function timeSeriesChart(ctx, { title, summary, note, days, series, y = {}, thresholds = [], height = 240 }) {
  const xs = days.map((day) => Date.parse(`${day}T00:00:00Z`) / 1000);
  const format = y.format || ctx.fmt.count;
  return figure({
    title, summary, note, height,
    legend: series.map(({ label, color, dash }) => ({ label, color, dash })),
    make(width, chartHeight, area, readout) {
      const uPlot = window.uPlot;
      const options = {
        width,
        height: chartHeight,
        tzDate: (seconds) => uPlot.tzDate(new Date(seconds * 1000), 'Etc/UTC'),
        legend: { show: false },
        cursor: { drag: { x: false, y: false }, points: { size: 6 } },
        scales: {
          x: { time: true },
          y: { range: (u, min, max) => [0, Math.max(y.max ?? 0, max > 0 ? max * 1.1 : 1)] },
        },
        axes: [
          axis({ values: (u, splits) => splits.map((seconds) => ctx.fmt.shortDay(seconds * 1000)), space: 64 }),
          axis({ values: (u, splits) => splits.map((value) => format(value)), size: 56, incrs: y.incrs }),
        ],
        series: [{}, ...series.map((line) => ({
          label: line.label, stroke: line.color, width: 2, dash: line.dash, points: { show: false },
        }))],
        hooks: {
          draw: [(u) => thresholds.forEach((line) => drawThreshold(u, line.value, line.label, line.color))],
          setCursor: [(u) => {
            const index = u.cursor.idx;
            readout.textContent = index === null || index === undefined ? '' : [days[index],
              ...series.map((line) => `${line.label} ${format(line.values[index])}`)].join(' · ');
          }],
        },
      };
      const plot = new uPlot(options, [xs, ...series.map((line) => line.values)], area);
      return plot;
    },
  });
}

/** Bars per category: `labels` under the bars, `values` written above them. */
export function barChart(ctx, { title, summary, note, labels, values, color = COLORS.teal, height = 220 }) {
  const indices = labels.map((label, index) => index);
  return figure({
    title, summary, note, height,
    make(width, chartHeight, area) {
      const uPlot = window.uPlot;
      const top = Math.max(...values, 0);
      const options = {
        width,
        height: chartHeight,
        legend: { show: false },
        cursor: { show: false },
        scales: {
          x: { time: false, range: [-0.5, labels.length - 0.5] },
          y: { range: [0, top > 0 ? top * 1.2 : 1] },
        },
        axes: [
          axis({ splits: () => indices, values: (u, splits) => splits.map((index) => labels[index] ?? ''), grid: { show: false } }),
          axis({ values: (u, splits) => splits.map((value) => ctx.fmt.count(value)), incrs: INTEGER_STEPS, size: 56 }),
        ],
        series: [{}, {
          label: title, fill: color, stroke: color, width: 0, points: { show: false },
          paths: uPlot.paths.bars({ size: [0.6, 72] }),
        }],
        hooks: {
          draw: [(u) => {
            const context = u.ctx;
            const ratio = uPlot.pxRatio;
            context.save();
            context.fillStyle = COLORS.slate;
            context.font = `${12 * ratio}px ${FONT_FAMILY}`;
            context.textAlign = 'center';
            context.textBaseline = 'bottom';
            values.forEach((value, index) => {
              context.fillText(ctx.fmt.count(value), u.valToPos(index, 'x', true), u.valToPos(value, 'y', true) - 3 * ratio);
            });
            context.restore();
          }],
        },
      };
      return new uPlot(options, [indices, values], area);
    },
  });
}

let measuring = null;
function textWidth(text) {
  measuring ??= document.createElement('canvas').getContext('2d');
  measuring.font = FONT;
  return measuring.measureText(text).width;
}

/**
 * Rows along a horizontal scale from `domain[0]` to `domain[1]`: each row `{label, value, low,
 * high, bandLow, bandHigh}` draws its band (shaded), its interval (a line with ends) or its
 * value as a bar from 0 (`bars`) or a dot, and a line marks 0 when `zero` is set.
 */
export function rangeChart(ctx, { title, summary, note, rows, domain, zero = false, bars = false, legend, format, height }) {
  const count = rows.length;
  const labelWidth = Math.min(240, Math.ceil(Math.max(40, ...rows.map((row) => textWidth(row.label)))) + 16);
  return figure({
    title, summary, note, legend, height: height ?? Math.max(120, 48 * count + 44),
    make(width, chartHeight, area) {
      const uPlot = window.uPlot;
      const position = (index) => count - 1 - index;
      const options = {
        width,
        height: chartHeight,
        legend: { show: false },
        cursor: { show: false },
        scales: {
          x: { time: false, range: domain },
          y: { range: [-0.5, count - 0.5] },
        },
        axes: [
          axis({ values: (u, splits) => splits.map((value) => format(value)), space: 64 }),
          axis({
            splits: () => rows.map((row, index) => position(index)),
            ticks: { show: false },
            values: (u, splits) => splits.map((value) => rows[count - 1 - value]?.label ?? ''),
            grid: { show: false },
            size: labelWidth,
          }),
        ],
        series: [{}, { show: false }],
        hooks: {
          draw: [(u) => {
            const context = u.ctx;
            const ratio = uPlot.pxRatio;
            const x = (value) => u.valToPos(value, 'x', true);
            const rowHeight = Math.abs(u.valToPos(0, 'y', true) - u.valToPos(1, 'y', true));
            context.save();
            if (zero) {
              context.strokeStyle = COLORS.slate;
              context.lineWidth = ratio;
              context.setLineDash([4 * ratio, 3 * ratio]);
              context.beginPath();
              context.moveTo(Math.round(x(0)), u.bbox.top);
              context.lineTo(Math.round(x(0)), u.bbox.top + u.bbox.height);
              context.stroke();
              context.setLineDash([]);
            }
            rows.forEach((row, index) => {
              const middle = u.valToPos(position(index), 'y', true);
              if (row.bandLow !== null && row.bandLow !== undefined) {
                context.fillStyle = COLORS.band;
                context.fillRect(x(row.bandLow), middle - rowHeight * 0.32, x(row.bandHigh) - x(row.bandLow), rowHeight * 0.64);
              }
              if (row.value === null || row.value === undefined) return;
              const color = row.color || COLORS.blue;
              context.strokeStyle = color;
              context.fillStyle = color;
              if (row.low !== null && row.low !== undefined) {
                const cap = rowHeight * 0.18;
                context.lineWidth = 2 * ratio;
                context.beginPath();
                context.moveTo(x(row.low), middle);
                context.lineTo(x(row.high), middle);
                for (const end of [row.low, row.high]) {
                  context.moveTo(x(end), middle - cap);
                  context.lineTo(x(end), middle + cap);
                }
                context.stroke();
              }
              if (bars) {
                context.fillRect(x(0), middle - rowHeight * 0.2, x(row.value) - x(0), rowHeight * 0.4);
              } else {
                context.beginPath();
                context.arc(x(row.value), middle, 5 * ratio, 0, 2 * Math.PI);
                context.fill();
              }
              context.fillStyle = COLORS.slate;
              context.font = `${12 * ratio}px ${FONT_FAMILY}`;
              context.textBaseline = 'bottom';
              context.textAlign = 'left';
              const right = Math.max(x(row.value), row.high !== null && row.high !== undefined ? x(row.high) : 0);
              const text = format(row.value);
              const fits = right + 8 * ratio + context.measureText(text).width < u.bbox.left + u.bbox.width;
              if (!fits) context.textAlign = 'right';
              context.fillText(text, fits ? right + 6 * ratio : u.bbox.left + u.bbox.width - 2 * ratio, middle - 4 * ratio);
            });
            context.restore();
          }],
        },
      };
      return new uPlot(options, [[domain[0], domain[1]], [null, null]], area);
    },
  });
}
