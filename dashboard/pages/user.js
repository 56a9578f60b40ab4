// One user: level, recency, depth and days, and per feature the frequency class, the barrier and
// the nudge it calls for (`users?user=<id>`; the feature names from `features`). A user id known
// under several write keys has a part per key.

import { metrics } from '../api.js';
import { computedUnder, dataTable, h, pageHeading, section } from '../dom.js';
import { featureCell } from './features.js';

export default {
  title: (ctx) => ctx.t('user.title', { id: ctx.route.id }),

  async load(ctx) {
    const [users, features] = await Promise.all([
      metrics('users', ctx.query({ user: ctx.route.id })),
      metrics('features', ctx.query()),
    ]);
    return { users, features };
  },

  render(ctx, { users, features }) {
    const { t, fmt } = ctx;
    const names = new Map(features.features.map((row) => [row.feature, row.name]));
    const parts = users.users.map((row) => {
      const facts = [
        ['kind', t('user.kind'), row.anonymous ? t('user.visitor') : t('user.signedIn')],
        ['account', t('col.account'), row.account ?? t('user.noAccount')],
        ['level', t('col.level'), `L${row.level} ${t(`level.${row.level}`)}`],
        ['recency', t('col.recency'), `${t(`recency.${row.recency}`)} (${t(`recencyMeaning.${row.recency}`)})`],
        ['depth', t('col.depth'), fmt.percent(row.depth)],
        ['active_days_28', t('col.active_days_28'), fmt.count(row.active_days_28)],
        ['last_active', t('col.last_active'), fmt.day(row.last_active)],
        ['first_seen', t('col.first_seen'), fmt.day(row.first_seen)],
        ['time_to_first_value', t('col.ttfv'), fmt.days(row.time_to_first_value)],
      ];
      const list = h('dl', { class: 'facts' }, facts.map(([key, label, value]) =>
        h('div', {}, h('dt', {}, label), h('dd', { dataset: { fact: key } }, value))));
      const featureRows = Object.entries(row.features);
      const table = dataTable(ctx, {
        name: `features:${row.write_key}`,
        caption: t('user.features', { id: row.user_id }),
        columns: [
          { key: 'feature', label: t('col.feature'), rowHeader: true },
          { key: 'frequency', label: t('col.frequency') },
          { key: 'barrier', label: t('col.barrier') },
          { key: 'uses', label: t('col.uses'), numeric: true },
          { key: 'nudge', label: t('col.nudgeOne') },
        ],
        rows: featureRows.map(([feature, standing]) => [
          featureCell({ feature, name: names.get(feature) }),
          t(`frequency.${standing.frequency}`),
          { content: t(`barrier.${standing.barrier}`), class: `barrier-${standing.barrier}` },
          fmt.count(standing.uses),
          t(`nudge.${standing.barrier}`),
        ]),
        csv: { endpoint: 'users', params: ctx.query({ user: row.user_id }), file: `user-${row.user_id}` },
      });
      const content = [list, table];
      return users.users.length > 1
        ? h('div', { class: 'user-part', dataset: { writeKey: row.write_key } }, section(t('user.app', { key: row.write_key }), ...content))
        : h('div', { class: 'user-part', dataset: { writeKey: row.write_key } }, ...content);
    });
    return [
      h('p', { class: 'breadcrumb' }, h('a', { href: ctx.href('users') }, `← ${t('nav.users')}`)),
      ...pageHeading(t('user.title', { id: ctx.route.id }), t('user.lead')),
      computedUnder(ctx, users, features),
      ...parts,
    ];
  },
};
