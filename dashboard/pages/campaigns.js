// Campaigns: per rule with a goal, treatment against holdout (exposed, interacted, converted,
// conversion) and the lift with its 95% interval drawn around 0 (`campaigns`).

import { metrics } from '../api.js';
import { COLORS, rangeChart } from '../charts.js';
import { computedUnder, dataTable, h, pageHeading, section } from '../dom.js';

const ARMS = ['treatment', 'holdout'];

function significance(t, row) {
  if (row.significant === null) return t('significant.none');
  return row.significant ? t('yes') : t('no');
}

/** The interval's span, 0 included, with a margin, within -100 and +100 points. */
function domainOf(rows) {
  let low = 0;
  let high = 0;
  for (const row of rows) {
    low = Math.min(low, row.lift_low ?? row.lift);
    high = Math.max(high, row.lift_high ?? row.lift);
  }
  const margin = Math.max(0.05, (high - low) * 0.1);
  return [Math.max(-1, low - margin), Math.min(1, high + margin)];
}

export default {
  title: (ctx) => ctx.t('campaigns.title'),

  async load(ctx) {
    return { campaigns: await metrics('campaigns', ctx.query()) };
  },

  render(ctx, { campaigns }) {
    const { t, fmt } = ctx;
    const rows = campaigns.campaigns;
    const summaryCaption = t('campaigns.summary');
    const measured = rows.filter((row) => row.lift !== null);
    const content = [
      ...pageHeading(t('campaigns.title'), t('campaigns.lead')),
      computedUnder(ctx, campaigns),
    ];
    if (rows.length === 0) return [...content, h('p', {}, t('campaigns.none'))];
    if (measured.length > 0) {
      content.push(rangeChart(ctx, {
        title: t('campaigns.chart'),
        note: t('chart.tableBelow', { table: summaryCaption }),
        summary: t('campaigns.chartSummary', {
          values: measured.map((row) => `${row.rule} ${fmt.points(row.lift)} [${fmt.points(row.lift_low)}, ${fmt.points(row.lift_high)}]`).join('; '),
        }),
        rows: measured.map((row) => ({
          label: row.rule, value: row.lift, low: row.lift_low, high: row.lift_high,
          color: row.significant ? COLORS.teal : COLORS.slate,
        })),
        domain: domainOf(measured),
        zero: true,
        format: (value) => fmt.points(value),
        legend: [
          { label: `${t('col.significant')}: ${t('yes')}`, color: COLORS.teal },
          { label: `${t('col.significant')}: ${t('no')}`, color: COLORS.slate },
        ],
      }));
    }
    content.push(dataTable(ctx, {
      name: 'lift',
      caption: summaryCaption,
      columns: [
        { key: 'rule', label: t('col.rule'), rowHeader: true },
        { key: 'treatment.conversion', label: `${t('arm.treatment')}: ${t('col.conversion')}`, numeric: true },
        { key: 'holdout.conversion', label: `${t('arm.holdout')}: ${t('col.conversion')}`, numeric: true },
        { key: 'lift', label: t('col.lift'), numeric: true },
        { key: 'lift_low', label: t('col.lift_low'), numeric: true },
        { key: 'lift_high', label: t('col.lift_high'), numeric: true },
        { key: 'significant', label: t('col.significant') },
      ],
      rows: rows.map((row) => [row.rule, fmt.percent(row.treatment.conversion), fmt.percent(row.holdout.conversion),
        fmt.points(row.lift), fmt.points(row.lift_low), fmt.points(row.lift_high), significance(t, row)]),
      csv: { endpoint: 'campaigns', params: ctx.query(), file: 'campaigns' },
    }));
    for (const row of rows) {
      const verdict = row.significant === null ? t('campaigns.verdictNone')
        : row.significant ? t('campaigns.verdictYes') : t('campaigns.verdictNo');
      content.push(h('div', { class: 'campaign', dataset: { rule: row.rule } }, section(t('campaigns.arms', { rule: row.rule }),
        h('p', {}, t('campaigns.window', { days: fmt.count(row.goal_window_days), share: fmt.percent(row.holdout_share) })),
        ARMS.some((arm) => row[arm].conversion !== null) ? rangeChart(ctx, {
          title: `${t('col.conversion')}: ${row.rule}`,
          note: t('chart.tableBelow', { table: t('campaigns.arms', { rule: row.rule }) }),
          summary: ARMS.map((arm) => `${t(`arm.${arm}`)} ${fmt.percent(row[arm].conversion)}`).join(', '),
          rows: ARMS.map((arm) => ({ label: t(`arm.${arm}`), value: row[arm].conversion, color: arm === 'treatment' ? COLORS.teal : COLORS.slate })),
          domain: [0, 1],
          bars: true,
          format: (value) => fmt.percent(value),
        }) : null,
        dataTable(ctx, {
          name: `arms:${row.rule}`, captionHidden: true,
          caption: t('campaigns.arms', { rule: row.rule }),
          columns: [
            { key: 'arm', label: t('col.arm'), rowHeader: true },
            { key: 'exposed', label: t('col.exposed'), numeric: true },
            { key: 'interacted', label: t('col.interacted'), numeric: true },
            { key: 'converted', label: t('col.converted'), numeric: true },
            { key: 'conversion', label: t('col.conversion'), numeric: true },
          ],
          rows: ARMS.map((arm) => [t(`arm.${arm}`), fmt.count(row[arm].exposed), fmt.count(row[arm].interacted),
            fmt.count(row[arm].converted), fmt.percent(row[arm].conversion)]),
          csv: { endpoint: 'campaigns', params: ctx.query({ rule: row.rule }), file: `campaign-${row.rule}` },
        }),
        h('p', { class: `verdict-line${row.significant ? ' significant' : ''}` },
          row.lift === null ? null : [h('strong', {}, `${t('col.lift')} ${fmt.points(row.lift)}`),
            ` [${fmt.points(row.lift_low)}, ${fmt.points(row.lift_high)}] — `],
          verdict))));
    }
    return content;
  },
};
