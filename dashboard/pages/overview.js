// Overview: active users and DAU/MAU over the 90 days up to the day (`activity`), the users
// seen at each adoption level and in each recency class (`users`' counts).

import { metrics } from '../api.js';
import { barChart, COLORS, timeSeriesChart } from '../charts.js';
import { computedUnder, dataTable, h, pageHeading, section, uniqueId } from '../dom.js';

const LEVELS = [0, 1, 2, 3, 4, 5];
const RECENCY = ['new', 'active', 'at_risk', 'dormant'];
const USERS_CSV_PAGE = 1000;

export default {
  title: (ctx) => ctx.t('overview.title'),

  async load(ctx) {
    const [activity, users] = await Promise.all([
      metrics('activity', ctx.query()),
      metrics('users', ctx.query({ limit: 1 })),
    ]);
    return { activity, users };
  },

  render(ctx, { activity, users }) {
    const { t, fmt } = ctx;
    const points = activity.activity;
    const last = points[points.length - 1] || { dau: 0, wau: 0, mau: 0, dau_mau: null, day: activity.as_of };
    const days = points.map((point) => point.day);
    const from = days[0] ?? activity.as_of;
    const activityCaption = t('overview.activityTable');
    const usersCsv = { endpoint: 'users', params: ctx.query({ pages: { total: users.total, size: USERS_CSV_PAGE } }), file: 'users' };

    const kpi = (key, label, value) => h('div', { class: 'kpi' }, h('dt', {}, label), h('dd', { dataset: { kpi: key } }, value));
    const kpisHeading = uniqueId('kpis');
    const kpis = h('section', { 'aria-labelledby': kpisHeading }, h('h2', { id: kpisHeading, class: 'visually-hidden' }, t('overview.kpis', { day: last.day })), h('dl', { class: 'kpis' },
      kpi('dau', t('overview.dau'), fmt.decimal(last.dau)),
      kpi('wau', t('overview.wau'), fmt.count(last.wau)),
      kpi('mau', t('overview.mau'), fmt.count(last.mau)),
      kpi('dau_mau', t('overview.dauMau'), fmt.percent(last.dau_mau)),
      kpi('total', t('overview.usersSeen'), fmt.count(users.total))));

    const active = timeSeriesChart(ctx, {
      title: t('overview.activeChart'),
      note: t('chart.tableBelow', { table: activityCaption }),
      summary: t('overview.activeSummary', { from, to: last.day, dau: fmt.decimal(last.dau), wau: fmt.count(last.wau), mau: fmt.count(last.mau) }),
      days,
      series: [
        { label: t('col.dau'), values: points.map((point) => point.dau), color: COLORS.teal },
        { label: t('col.wau'), values: points.map((point) => point.wau), color: COLORS.blue, dash: [6, 3] },
        { label: t('col.mau'), values: points.map((point) => point.mau), color: COLORS.purple, dash: [2, 3] },
      ],
      y: { incrs: [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000] },
    });
    const sticky = timeSeriesChart(ctx, {
      title: t('overview.stickyChart'),
      note: t('chart.tableBelow', { table: activityCaption }),
      summary: t('overview.stickySummary', { from, to: last.day, value: fmt.percent(last.dau_mau) }),
      days,
      series: [{ label: t('col.dau_mau'), values: points.map((point) => point.dau_mau), color: COLORS.teal }],
      y: { max: 0.5, format: (value) => fmt.percent(value) },
      thresholds: [
        { value: 0.4, label: t('overview.sticky'), color: COLORS.teal },
        { value: 0.2, label: t('overview.atRisk'), color: COLORS.red },
      ],
    });
    const activityTable = dataTable(ctx, {
      name: 'activity',
      caption: activityCaption,
      columns: [
        { key: 'day', label: t('col.day'), rowHeader: true },
        { key: 'dau', label: t('col.dau'), numeric: true },
        { key: 'wau', label: t('col.wau'), numeric: true },
        { key: 'mau', label: t('col.mau'), numeric: true },
        { key: 'dau_mau', label: t('col.dau_mau'), numeric: true },
        { key: 'lifecycle.new', label: t('col.new'), numeric: true },
        { key: 'lifecycle.returning', label: t('col.returning'), numeric: true },
        { key: 'lifecycle.resurrecting', label: t('col.resurrecting'), numeric: true },
        { key: 'lifecycle.dormant', label: t('col.dormant'), numeric: true },
      ],
      rows: points.map((point) => [point.day, fmt.decimal(point.dau), fmt.count(point.wau), fmt.count(point.mau),
        fmt.percent(point.dau_mau), fmt.count(point.lifecycle.new), fmt.count(point.lifecycle.returning),
        fmt.count(point.lifecycle.resurrecting), fmt.count(point.lifecycle.dormant)]),
      csv: { endpoint: 'activity', params: ctx.query(), file: 'activity' },
    });

    const share = (count) => fmt.percent(users.total ? count / users.total : null);
    const levelCounts = LEVELS.map((level) => users.counts.levels[`L${level}`] ?? 0);
    const levelsCaption = t('overview.levels');
    const levels = section(levelsCaption,
      h('p', {}, t('overview.levelsLead')),
      barChart(ctx, {
        title: t('overview.levelsChart'),
        note: t('chart.tableBelow', { table: levelsCaption }),
        summary: t('overview.levelsSummary', { values: LEVELS.map((level) => `L${level} ${fmt.count(levelCounts[level])}`).join(', ') }),
        labels: LEVELS.map((level) => `L${level}`),
        values: levelCounts,
      }),
      dataTable(ctx, {
        name: 'levels', captionHidden: true,
        caption: levelsCaption,
        columns: [
          { key: 'level', label: t('col.level'), rowHeader: true },
          { key: 'stage', label: t('col.levelName') },
          { key: 'users', label: t('col.users'), numeric: true },
          { key: 'share', label: t('col.share'), numeric: true },
          { key: 'link', label: t('col.list') },
        ],
        rows: LEVELS.map((level) => [`L${level}`, t(`level.${level}`), fmt.count(levelCounts[level]), share(levelCounts[level]),
          h('a', { href: ctx.href('users', { params: { level } }) }, t('overview.seeUsers'), h('span', { class: 'visually-hidden' }, ` L${level}`))]),
        csv: { ...usersCsv, table: t('overview.usersCsv') },
      }));

    const recencyCounts = RECENCY.map((name) => users.counts.recency[name] ?? 0);
    const recencyCaption = t('overview.recency');
    const recency = section(recencyCaption,
      barChart(ctx, {
        title: t('overview.recencyChart'),
        note: t('chart.tableBelow', { table: recencyCaption }),
        summary: t('overview.recencySummary', { values: RECENCY.map((name, index) => `${t(`recency.${name}`)} ${fmt.count(recencyCounts[index])}`).join(', ') }),
        labels: RECENCY.map((name) => t(`recency.${name}`)),
        values: recencyCounts,
        color: COLORS.blue,
      }),
      dataTable(ctx, {
        name: 'recency', captionHidden: true,
        caption: recencyCaption,
        columns: [
          { key: 'recency', label: t('col.recency'), rowHeader: true },
          { key: 'meaning', label: t('col.meaning') },
          { key: 'users', label: t('col.users'), numeric: true },
          { key: 'share', label: t('col.share'), numeric: true },
          { key: 'link', label: t('col.list') },
        ],
        rows: RECENCY.map((name, index) => [t(`recency.${name}`), t(`recencyMeaning.${name}`), fmt.count(recencyCounts[index]),
          share(recencyCounts[index]),
          h('a', { href: ctx.href('users', { params: { recency: name } }) }, t('overview.seeUsers'), h('span', { class: 'visually-hidden' }, ` ${t(`recency.${name}`)}`))]),
        csv: { ...usersCsv, table: t('overview.usersCsv') },
      }));

    return [
      ...pageHeading(t('overview.title'), t('overview.lead')),
      computedUnder(ctx, activity, users),
      kpis,
      h('div', { class: 'chart-grid' }, active, sticky),
      h('details', { class: 'chart-table' }, h('summary', {}, t('chart.showTable')), activityTable),
      h('div', { class: 'two-columns' }, levels, recency),
    ];
  },
};
