// Features: each feature's adoption rate against its tier's target band, its frequency mix, and
// its users' barriers with the nudge each barrier calls for (`features`).

import { metrics } from '../api.js';
import { COLORS, rangeChart } from '../charts.js';
import { computedUnder, dataTable, h, pageHeading, section } from '../dom.js';

export const FREQUENCIES = ['daily', 'weekly', 'monthly', 'lapsed', 'never'];
const BARRIERS = ['unaware', 'stuck', 'unconvinced', 'none'];
const NUDGED = ['unaware', 'stuck', 'unconvinced'];

/** The barrier most users held back from a feature share (the first on a tie), or `none`. */
export function mainBarrier(barriers) {
  let found = 'none';
  for (const name of NUDGED) {
    if ((barriers[name] ?? 0) > 0 && (found === 'none' || barriers[name] > barriers[found])) found = name;
  }
  return found;
}

export function featureCell(row) {
  return [h('span', { class: 'feature-name' }, row.name || row.feature), ' ', h('code', { class: 'feature-id' }, row.feature)];
}

export default {
  title: (ctx) => ctx.t('features.title'),

  async load(ctx) {
    return { features: await metrics('features', ctx.query()) };
  },

  render(ctx, { features }) {
    const { t, fmt } = ctx;
    const rows = features.features;
    const csv = { endpoint: 'features', params: ctx.query(), file: 'features' };
    const adoptionCaption = t('features.adoption');
    const band = (row) => (row.target_low === null ? t('notAvailable') : `${fmt.percent(row.target_low)}–${fmt.percent(row.target_high)}`);

    const chart = rangeChart(ctx, {
      title: t('features.chart'),
      note: t('chart.tableBelow', { table: adoptionCaption }),
      summary: t('features.chartSummary', {
        values: rows.map((row) => `${row.name || row.feature} ${fmt.percent(row.adoption_rate)} (${band(row)})`).join('; '),
      }),
      rows: rows.map((row) => ({
        label: row.name || row.feature, value: row.adoption_rate, bandLow: row.target_low, bandHigh: row.target_high,
        color: row.verdict === 'below' ? COLORS.amber : COLORS.teal,
      })),
      domain: [0, 1],
      bars: true,
      format: (value) => fmt.percent(value),
      legend: [
        { label: `${t('col.adoption_rate')} (${t('verdict.within')} / ${t('verdict.above')})`, color: COLORS.teal },
        { label: `${t('col.adoption_rate')} (${t('verdict.below')})`, color: COLORS.amber },
        { label: t('col.target'), color: COLORS.band, block: true },
      ],
    });

    const adoption = dataTable(ctx, {
      name: 'adoption', captionHidden: true,
      caption: adoptionCaption,
      columns: [
        { key: 'feature', label: t('col.feature'), rowHeader: true },
        { key: 'tier', label: t('col.tier') },
        { key: 'active_users', label: t('col.active_users'), numeric: true },
        { key: 'adopters', label: t('col.adopters'), numeric: true },
        { key: 'adoption_rate', label: t('col.adoption_rate'), numeric: true },
        { key: 'target', label: t('col.target'), numeric: true },
        { key: 'verdict', label: t('col.verdict') },
        { key: 'users_ever', label: t('col.users_ever'), numeric: true },
      ],
      rows: rows.map((row) => [
        featureCell(row),
        row.tier ? t(`tier.${row.tier}`) : t('notAvailable'),
        fmt.count(row.active_users),
        fmt.count(row.adopters),
        fmt.percent(row.adoption_rate),
        band(row),
        row.verdict ? { content: t(`verdict.${row.verdict}`), class: `verdict verdict-${row.verdict}` } : t('notAvailable'),
        fmt.count(row.users_ever),
      ]),
      csv,
    });

    const mix = dataTable(ctx, {
      name: 'frequency', captionHidden: true,
      caption: t('features.mix'),
      columns: [
        { key: 'feature', label: t('col.feature'), rowHeader: true },
        ...FREQUENCIES.map((name) => ({ key: `frequency.${name}`, label: t(`frequency.${name}`), numeric: true })),
        { key: 'mix', label: t('col.share') },
      ],
      rows: rows.map((row) => {
        const total = FREQUENCIES.reduce((sum, name) => sum + (row.frequency[name] ?? 0), 0);
        const bar = h('span', { class: 'mix-bar', 'aria-hidden': 'true' }, FREQUENCIES.map((name) => {
          const part = h('span', { class: `mix-${name}` });
          part.style.width = `${total ? (100 * (row.frequency[name] ?? 0)) / total : 0}%`;
          return part;
        }));
        return [featureCell(row), ...FREQUENCIES.map((name) => fmt.count(row.frequency[name] ?? 0)), bar];
      }),
      csv,
    });
    const mixLegend = h('ul', { class: 'legend', 'aria-hidden': 'true' }, FREQUENCIES.map((name) =>
      h('li', {}, h('span', { class: `swatch mix-${name}` }), t(`frequency.${name}`))));

    const meanings = h('dl', { class: 'barrier-guide' }, NUDGED.map((name) => h('div', { class: `barrier-${name}` },
      h('dt', {}, t(`barrier.${name}`)),
      h('dd', {}, t(`barrierMeaning.${name}`)),
      h('dd', { class: 'nudge' }, `→ ${t(`nudge.${name}`)}`))));
    const barriers = dataTable(ctx, {
      name: 'barriers', captionHidden: true,
      caption: t('features.barriers'),
      columns: [
        { key: 'feature', label: t('col.feature'), rowHeader: true },
        ...BARRIERS.map((name) => ({ key: `barriers.${name}`, label: t(`barrier.${name}`), numeric: true })),
        { key: 'nudge', label: t('col.nudge') },
      ],
      rows: rows.map((row) => {
        const main = mainBarrier(row.barriers);
        return [featureCell(row), ...BARRIERS.map((name) => fmt.count(row.barriers[name] ?? 0)),
          { content: t(`nudge.${main}`), class: `nudge-cell barrier-${main}` }];
      }),
      csv,
    });

    return [
      ...pageHeading(t('features.title'), t('features.lead')),
      computedUnder(ctx, features),
      chart,
      section(adoptionCaption, adoption),
      section(t('features.mix'), mixLegend, mix),
      section(t('features.barriers'), h('p', {}, t('features.barriersLead')), meanings, barriers),
    ];
  },
};
