// Accounts: each account's health, at-risk accounts first (`accounts`, sorted by the API:
// `sort` and `order` are in the page's query, so a sorted table can be linked to).

import { metrics } from '../api.js';
import { computedUnder, dataTable, h, pageHeading } from '../dom.js';

/** The API's sort keys, each with the column it sorts. */
const SORTABLE = { risk: 'status', health: 'health', trend: 'trend', dau_mau: 'dau_mau', breadth: 'breadth', active_users: 'active_users' };

function sortOf(route) {
  const sort = route.params.get('sort');
  return { sort: sort in SORTABLE ? sort : 'risk', order: route.params.get('order') === 'desc' ? 'desc' : 'asc' };
}

export default {
  title: (ctx) => ctx.t('accounts.title'),

  async load(ctx) {
    const { sort, order } = sortOf(ctx.route);
    return { accounts: await metrics('accounts', ctx.query({ sort, order })) };
  },

  render(ctx, { accounts }) {
    const { t, fmt } = ctx;
    const { sort, order } = sortOf(ctx.route);
    const rows = accounts.accounts;
    const manyApps = new Set(rows.map((row) => row.write_key)).size > 1;
    const sortable = (apiKey) => ({
      state: sort === apiKey ? (order === 'asc' ? 'ascending' : 'descending') : null,
      onSort() {
        const next = sort === apiKey && order === 'asc' ? 'desc' : 'asc';
        ctx.go(ctx.href('accounts', { params: { sort: apiKey, order: next } }), { focus: `button[data-sort="${SORTABLE[apiKey]}"]` });
      },
    });
    const column = (key, label, apiKey, numeric = true) => ({ key, label, numeric, sort: apiKey ? sortable(apiKey) : null });
    const columns = [
      { key: 'account', label: t('col.account'), rowHeader: true },
      manyApps ? { key: 'write_key', label: t('filters.writeKey') } : null,
      column('status', t('col.status'), 'risk', false),
      column('health', t('col.health'), 'health'),
      column('trend', t('col.trend'), 'trend'),
      column('dau_mau', t('col.dau_mau'), 'dau_mau'),
      column('breadth', t('col.breadth'), 'breadth'),
      column('time_to_first_value', t('col.ttfv')),
      column('active_users', t('col.active_users'), 'active_users'),
      column('active_users_before', t('col.active_users_before')),
      column('users_seen', t('col.users_seen')),
      column('seats', t('col.seats')),
      column('mean_depth', t('col.mean_depth')),
    ].filter(Boolean);
    const table = dataTable(ctx, {
      name: 'accounts',
      caption: t('accounts.table'),
      captionExtra: h('span', { class: 'caption-note' }, sort === 'risk' ? `(${t('accounts.riskFirst')})`
        : `(${columns.find((candidate) => candidate.key === SORTABLE[sort]).label}, ${t(`sort.${order === 'asc' ? 'ascending' : 'descending'}`)})`),
      columns,
      rows: rows.map((row) => {
        const risks = row.risks ? row.risks.split(' ').map((risk) => t(`risk.${risk}`)).join(', ') : '';
        const status = row.at_risk
          ? { content: [h('strong', {}, t('status.atRisk')), risks ? [h('br'), h('span', { class: 'risks' }, risks)] : null], class: 'at-risk' }
          : { content: t('status.ok'), class: 'ok' };
        const trend = row.trend === null ? t('notAvailable')
          : [h('span', { 'aria-hidden': 'true', class: 'trend-mark' }, row.trend > 0 ? '▲ ' : row.trend < 0 ? '▼ ' : ''), fmt.trend(row.trend)];
        return {
          class: row.at_risk ? 'row-at-risk' : null,
          cells: [
            row.account,
            manyApps ? row.write_key : null,
            status,
            fmt.oneDecimal(row.health),
            { content: trend, class: row.trend !== null && row.trend < -0.2 ? 'falling' : null },
            fmt.percent(row.dau_mau),
            fmt.percent(row.breadth),
            fmt.days(row.time_to_first_value),
            fmt.count(row.active_users),
            fmt.count(row.active_users_before),
            fmt.count(row.users_seen),
            fmt.count(row.seats),
            fmt.percent(row.mean_depth),
          ].filter((cell, index) => manyApps || index !== 1),
        };
      }),
      csv: { endpoint: 'accounts', params: ctx.query({ sort, order }), file: 'accounts' },
    });
    return [
      ...pageHeading(t('accounts.title'), t('accounts.lead')),
      computedUnder(ctx, accounts),
      table,
    ];
  },
};
