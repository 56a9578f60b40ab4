// Building blocks of the pages: elements (text is always set as text, never as HTML: account,
// user and feature names come from events), the "as of / config version" line, and tables with
// their CSV download.

import { metricsCsv, saveFile } from './api.js';

/**
 * `h('td', {class: 'num', dataset: {key: 'dau'}}, '3')`: an element with attributes (`on*`
 * functions become listeners) and children (strings become text nodes; null and false are skipped).
 */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'dataset') Object.assign(element.dataset, value);
    else if (name.startsWith('on') && typeof value === 'function') element.addEventListener(name.slice(2), value);
    else if (name === 'class') element.className = value;
    else if (value === true) element.setAttribute(name, '');
    else element.setAttribute(name, String(value));
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(element, child);
    else element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

let uniqueCount = 0;
/** An id for `aria-labelledby` and the like, unique in the page. */
export function uniqueId(prefix) {
  uniqueCount += 1;
  return `${prefix}-${uniqueCount}`;
}

/** The page's heading (focused after a navigation) and its lead. */
export function pageHeading(title, lead) {
  return [h('h1', { tabindex: '-1', id: 'page-title' }, title), lead ? h('p', { class: 'lead' }, lead) : null];
}

/**
 * What the figures of the page were computed from: the day, the config version and the write
 * key; several answers of one page name each version they were computed under.
 */
export function computedUnder(ctx, ...answers) {
  const versions = [...new Set(answers.map((answer) => answer.config_version))];
  const key = ctx.filters.write_key;
  return h('p', { class: 'meta' },
    h('span', { dataset: { asOf: answers[0].as_of } }, ctx.t('meta.asOf', { day: answers[0].as_of })),
    ' · ', ctx.t('meta.version'), ' ',
    versions.map((version, index) => [index ? ', ' : '', h('code', { class: 'config-version', dataset: { configVersion: version } }, version)]),
    ' · ', key ? ctx.t('meta.writeKey', { key }) : ctx.t('meta.allKeys'));
}

/**
 * A button that downloads an endpoint's CSV (`format=csv`, fetched with the key in the header)
 * and saves it as `uptake-<file>-<as of>.csv`.
 */
export function csvButton(ctx, { endpoint, params, file, table }) {
  const status = h('span', { class: 'csv-status', role: 'status' });
  const button = h('button', {
    type: 'button',
    class: 'csv',
    'aria-label': ctx.t('csv.label', { table }),
    dataset: { csv: endpoint },
    async onclick() {
      button.disabled = true;
      status.textContent = '';
      try {
        const name = `uptake-${file}${params.as_of ? `-${params.as_of}` : ''}.csv`;
        saveFile(name, await csvPages(endpoint, params));
        status.textContent = ctx.t('csv.saved', { file: name });
      } catch (error) {
        status.textContent = ctx.t('failed', { message: error.message });
      } finally {
        button.disabled = false;
      }
    },
  }, ctx.t('csv.download'));
  return h('div', { class: 'csv-line' }, button, status);
}

/**
 * The whole CSV of an endpoint. `users` answers in pages of at most 1,000: with `pages` set,
 * they are fetched in turn and joined under the first page's header line.
 */
async function csvPages(endpoint, params) {
  if (!params.pages) return metricsCsv(endpoint, params);
  const { pages, ...query } = params;
  let text = '';
  for (let offset = 0; offset < pages.total || offset === 0; offset += pages.size) {
    const page = await metricsCsv(endpoint, { ...query, limit: pages.size, offset });
    text += offset === 0 ? page : page.slice(page.indexOf('\n') + 1);
  }
  return text;
}

/**
 * A table: `columns` are `{key, label, numeric, rowHeader, sort}` (`sort`, a header cell of
 * its own: `{state: 'ascending' | 'descending' | null, onSort}`); `rows` are arrays of cells,
 * each a string, a node, or `{content, class}`. Under a heading that says the same, the caption
 * is for screen readers only (`captionHidden`). Each cell carries its column's key
 * (`data-key`), and the table its `name` (`data-table`). A wide table scrolls in a region that
 * takes the focus, so it can be scrolled with the keyboard (`scrollRegions`).
 */
export function dataTable(ctx, { name, caption, columns, rows, csv, captionExtra, captionHidden = false }) {
  const captionId = uniqueId('caption');
  const head = h('tr', {}, columns.map((column) => {
    const sorted = column.sort?.state;
    const cell = h('th', {
      scope: 'col',
      class: column.numeric ? 'num' : null,
      'aria-sort': column.sort ? (sorted || 'none') : null,
      dataset: { key: column.key },
    });
    if (column.sort) {
      cell.append(h('button', {
        type: 'button',
        class: 'sort',
        dataset: { sort: column.key },
        onclick: column.sort.onSort,
      }, column.label, h('span', { class: 'sort-mark', 'aria-hidden': 'true' },
        sorted === 'ascending' ? ' ▲' : sorted === 'descending' ? ' ▼' : ' ↕')));
    } else {
      cell.append(column.label);
    }
    return cell;
  }));
  const body = h('tbody', {}, rows.map((row) => h('tr', { class: row.class || null }, (row.cells || row).map((cell, index) => {
    const column = columns[index];
    const content = cell && typeof cell === 'object' && !(cell instanceof Node) && !Array.isArray(cell) ? cell : { content: cell };
    const classes = [column.numeric ? 'num' : '', content.class || ''].join(' ').trim() || null;
    return h(column.rowHeader ? 'th' : 'td', { scope: column.rowHeader ? 'row' : null, class: classes, dataset: { key: column.key } }, content.content);
  }))));
  const table = h('table', { dataset: { table: name } },
    h('caption', { id: captionId, class: captionHidden ? 'visually-hidden' : null }, caption, captionExtra ? [' ', captionExtra] : null),
    h('thead', {}, head), body);
  return h('div', { class: 'table-block' },
    h('div', { class: 'table-scroll', dataset: { labelledby: captionId } }, table),
    csv ? csvButton(ctx, { table: caption, ...csv }) : null);
}

/** A part of a page under a heading of its own (not a landmark: the page has many). */
export function section(title, ...children) {
  return h('section', {}, h('h2', {}, title), ...children);
}

/** Makes each table that scrolls sideways a focusable region named by its caption; others not. */
export function scrollRegions(root) {
  for (const region of root.querySelectorAll('.table-scroll')) {
    if (region.scrollWidth > region.clientWidth + 1) {
      region.setAttribute('role', 'region');
      region.setAttribute('tabindex', '0');
      region.setAttribute('aria-labelledby', region.dataset.labelledby);
    } else {
      for (const name of ['role', 'tabindex', 'aria-labelledby']) region.removeAttribute(name);
    }
  }
}
