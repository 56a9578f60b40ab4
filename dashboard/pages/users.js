// Users: one page of the users seen by the day (`users`, 50 a page), filtered by level, recency
// or account, each linking to the user's own page.

import { metrics } from '../api.js';
import { computedUnder, dataTable, h, pageHeading } from '../dom.js';

const PAGE_SIZE = 50;
const CSV_PAGE = 1000;
const RECENCY = ['new', 'active', 'at_risk', 'dormant'];

function filtersOf(route) {
  const level = route.params.get('level');
  const recency = route.params.get('recency');
  const offset = Number.parseInt(route.params.get('offset') || '0', 10);
  return {
    level: /^[0-5]$/.test(level || '') ? level : '',
    recency: RECENCY.includes(recency) ? recency : '',
    account: route.params.get('account') || '',
    offset: Number.isFinite(offset) && offset > 0 ? offset : 0,
  };
}

export default {
  title: (ctx) => ctx.t('users.title'),

  async load(ctx) {
    const { level, recency, account, offset } = filtersOf(ctx.route);
    return { users: await metrics('users', ctx.query({ level, recency, account, offset, limit: PAGE_SIZE })) };
  },

  render(ctx, { users }) {
    const { t, fmt } = ctx;
    const filters = filtersOf(ctx.route);
    const choice = (name, value, label) => h('option', { value, selected: filters[name] === value }, label);
    const level = h('select', { id: 'users-level', name: 'level' }, choice('level', '', t('users.any')),
      [0, 1, 2, 3, 4, 5].map((value) => choice('level', String(value), `L${value} ${t(`level.${value}`)}`)));
    const recency = h('select', { id: 'users-recency', name: 'recency' }, choice('recency', '', t('users.any')),
      RECENCY.map((value) => choice('recency', value, t(`recency.${value}`))));
    const account = h('input', { id: 'users-account', name: 'account', type: 'text', value: filters.account, autocomplete: 'off', spellcheck: 'false' });
    const form = h('form', {
      class: 'users-filters',
      'aria-label': t('users.filters'),
      onsubmit(event) {
        event.preventDefault();
        ctx.go(ctx.href('users', { params: { level: level.value, recency: recency.value, account: account.value.trim() } }), { focus: '#users-apply' });
      },
    },
    h('div', { class: 'field' }, h('label', { for: 'users-level' }, t('col.level')), level),
    h('div', { class: 'field' }, h('label', { for: 'users-recency' }, t('col.recency')), recency),
    h('div', { class: 'field' }, h('label', { for: 'users-account' }, t('col.account')), account),
    h('button', { type: 'submit', id: 'users-apply' }, t('filters.apply')));

    const rows = users.users;
    const apiFilters = { level: filters.level, recency: filters.recency, account: filters.account };
    const table = dataTable(ctx, {
      name: 'users',
      caption: t('users.table'),
      captionExtra: h('span', { class: 'caption-note', dataset: { total: users.total } }, rows.length
        ? `(${t('users.range', { from: fmt.count(users.offset + 1), to: fmt.count(users.offset + rows.length), total: fmt.count(users.total) })})`
        : `(${t('users.empty')})`),
      columns: [
        { key: 'user_id', label: t('col.user'), rowHeader: true },
        { key: 'account', label: t('col.account') },
        { key: 'level', label: t('col.level') },
        { key: 'recency', label: t('col.recency') },
        { key: 'depth', label: t('col.depth'), numeric: true },
        { key: 'active_days_28', label: t('col.active_days_28'), numeric: true },
        { key: 'last_active', label: t('col.last_active') },
        { key: 'first_seen', label: t('col.first_seen') },
        { key: 'time_to_first_value', label: t('col.ttfv'), numeric: true },
      ],
      rows: rows.map((row) => [
        [h('a', { href: ctx.href('user', { id: row.user_id }) }, row.user_id),
          row.anonymous ? [' ', h('span', { class: 'tag' }, t('users.anonymous'))] : null],
        row.account ?? t('notAvailable'),
        `L${row.level}`,
        t(`recency.${row.recency}`),
        fmt.percent(row.depth),
        fmt.count(row.active_days_28),
        fmt.day(row.last_active),
        fmt.day(row.first_seen),
        fmt.days(row.time_to_first_value),
      ]),
      csv: {
        endpoint: 'users',
        params: ctx.query({ ...apiFilters, pages: { total: users.total, size: CSV_PAGE } }),
        file: 'users',
        table: t('users.csv', { total: fmt.count(users.total) }),
      },
    });

    const pageLink = (label, offset, id) => h('button', {
      type: 'button',
      id,
      onclick: () => ctx.go(ctx.href('users', { params: { ...apiFilters, offset: offset || '' } }), { focus: `#${id}` }),
    }, label);
    const pager = h('nav', { class: 'pager', 'aria-label': t('users.pages') },
      users.offset > 0 ? pageLink(t('users.previous'), Math.max(0, users.offset - PAGE_SIZE), 'users-previous') : null,
      users.offset + rows.length < users.total ? pageLink(t('users.next'), users.offset + PAGE_SIZE, 'users-next') : null);

    return [
      ...pageHeading(t('users.title'), t('users.lead')),
      computedUnder(ctx, users),
      form,
      table,
      pager.childElementCount ? pager : null,
    ];
  },
};
