// The benchmark's results as markdown: one table per question, every figure a median over the
// run's repetitions, and Uptake's figures as ratios to the best peer measured in the same run.

const kb = (bytes) => (bytes === undefined || bytes === null ? '–' : (bytes / 1024).toFixed(1));
const fixed = (digits) => (value) => (value === undefined || value === null ? '–' : value.toFixed(digits));
const orDash = (value) => value ?? '–';
/** A figure's long tasks as "count (longest ms)"; undefined when the figure has none. */
const longTasks = (figure) =>
  figure?.longTasks === undefined ? undefined : `${figure.longTasks} (${figure.longestTaskMs.toFixed(0)})`;

/** Uptake's value over the best (lowest) peer's, as "0.25× the best, driver.js". */
function ratio(value, peers) {
  const candidates = peers.filter(([, peerValue]) => typeof peerValue === 'number');
  if (typeof value !== 'number' || candidates.length === 0) return '';
  const [bestName, best] = candidates.reduce((low, entry) => (entry[1] < low[1] ? entry : low));
  return `${(value / best).toFixed(2)}× the best, ${bestName}`;
}

const isEventSdk = (sdk) => sdk.kind === 'events';
const isTourLibrary = (sdk) => sdk.kind === 'tours';

function table(header, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map((_, index) => (index === 0 ? '---' : '---:'))), ...rows.map(line)].join('\n');
}

function figureWithRatios(results, title, columns, select) {
  const entries = Object.values(results.sdks).filter((sdk) => select(sdk));
  // Uptake, and Uptake with the preload hint: named in the ratios once both have a figure.
  const ours = entries.filter((sdk) => !isEventSdk(sdk) && !isTourLibrary(sdk));
  const rows = entries.map((sdk) => [sdk.name, ...columns.map((column) => column.format(column.value(sdk)))]);
  const groups = [['event SDKs', isEventSdk], ['tour libraries', isTourLibrary]];
  const ratios = columns
    .filter((column) => column.compare !== false)
    .flatMap((column) => {
      // A column the preload hint cannot change (the bytes) gives Uptake's ratios alone.
      const measured = ours
        .filter((sdk) => typeof column.value(sdk) === 'number')
        .slice(0, column.variants === false ? 1 : undefined);
      return measured.flatMap((sdk) =>
        groups.map(([label, inGroup]) => {
          const peers = entries.filter(inGroup).map((peer) => [peer.name, column.value(peer)]);
          const text = ratio(column.value(sdk), peers);
          const whose = measured.length > 1 ? ` (${sdk.name})` : '';
          return text ? `- ${column.header}${whose}, against the ${label}: ${text}` : null;
        }),
      );
    })
    .filter(Boolean);
  return [`### ${title}`, '', table(['SDK', ...columns.map((column) => column.header)], rows), '', 'Uptake as a ratio to the best peer of the same run (below 1 is better):', '', ...ratios].join('\n');
}

function deliveryTable(results) {
  const cell = (summary) => {
    if (!summary) return '–';
    const notes = [
      summary.resentSameId ? `+${summary.resentSameId} resent, same id` : null,
      typeof summary.lastArrivalMs === 'number' ? `the last ${(summary.lastArrivalMs / 1000).toFixed(1)} s after the 503s` : null,
      summary.timedOut ? 'still arriving after 120 s' : null,
    ].filter(Boolean);
    return `${summary.received} / ${summary.lost} / ${summary.duplicated}${notes.length ? ` (${notes.join('; ')})` : ''}`;
  };
  const rows = Object.values(results.sdks)
    .filter((sdk) => sdk.delivery)
    .map((sdk) => [sdk.name, cell(sdk.delivery.reload), cell(sdk.delivery.unavailable)]);
  return [
    '### Delivery under stress: received / lost / duplicated of 500 events',
    '',
    table(['SDK', 'page reloaded mid-send', 'collector answers 503 for 5 s'], rows),
    '',
    'Counted by the `bench_seq` property of each event in the requests the collector acknowledged. ' +
      'Duplicated: the same event arrived under two ids (any store counts it twice). Resent with the ' +
      'same id: absorbed by a collector that dedupes on the SDK\'s event id, as Uptake\'s does. ' +
      'After the 503s, an event counts as lost when nothing more arrived for 60 s (or after 120 s).',
  ].join('\n');
}

/** The core's criterion benchmarks of the same run, when they ran (scripts/bench-peers runs them). */
function nativeTable(results) {
  if (!results.native?.length) return '';
  const time = (nanoseconds) =>
    nanoseconds >= 1e6 ? `${(nanoseconds / 1e6).toFixed(2)} ms` : `${(nanoseconds / 1e3).toFixed(2)} µs`;
  return [
    '### The core\'s hot paths, natively (criterion, `cargo bench -p uptake-core`)',
    '',
    table(['benchmark', 'median'], results.native.map((bench) => [bench.name, time(bench.medianNs)])),
    '',
    'No peer decides on the device, so these have no peer to compare with. In the browser, the',
    'main-thread time per event above counts this work and the rest (taking the call in, storing,',
    'sending); `track()` itself only notes the call.',
    '',
  ].join('\n');
}

export function markdownReport(results) {
  const events = (sdk) => Boolean(sdk.track);
  const bytes = (sdk) => sdk.bytes ?? sdk.tour?.bytes;
  return [
    `## Uptake against its peers, ${results.date.slice(0, 10)}`,
    '',
    `${results.machine}; ${results.browser}.${results.quick ? ' Quick run (fewer repetitions).' : ''}`,
    '',
    figureWithRatios(
      results,
      'Size and start',
      [
        { header: 'KB downloaded', value: (sdk) => bytes(sdk)?.raw, format: (value) => kb(value), variants: false },
        { header: 'KB gzipped', value: (sdk) => bytes(sdk)?.gzip, format: (value) => kb(value), variants: false },
        { header: 'KB brotli', value: (sdk) => bytes(sdk)?.brotli, format: (value) => kb(value), variants: false },
        { header: 'ready, ms', value: (sdk) => sdk.readyMs, format: fixed(1) },
      ],
      (sdk) => bytes(sdk),
    ),
    '',
    figureWithRatios(
      results,
      'track(), 10,000 calls',
      [
        { header: 'track() median µs', value: (sdk) => sdk.track?.trackMedianUs, format: fixed(2) },
        { header: 'track() p99 µs', value: (sdk) => sdk.track?.trackP99Us, format: fixed(2) },
        { header: 'main-thread µs per event, all work', value: (sdk) => sdk.track?.busyPerEventUs, format: fixed(1) },
        { header: 'long tasks (longest, ms)', compare: false, format: orDash, value: (sdk) => longTasks(sdk.track) },
        { header: 'heap after 10,000 events, MB', value: (sdk) => sdk.track && sdk.track.heapBytes / 2 ** 20, format: fixed(2) },
        { header: 'delivered within 20 s', value: (sdk) => sdk.track?.deliveredWithin20s, compare: false, format: String },
      ],
      events,
    ),
    '',
    figureWithRatios(
      results,
      'First step of a 5-step anchored tour',
      [
        { header: 'from script start, ms', value: (sdk) => sdk.tour?.firstStepMs, format: fixed(1) },
        { header: 'long tasks in all pages (longest, ms)', compare: false, format: orDash, value: (sdk) => longTasks(sdk.tour) },
      ],
      (sdk) => Boolean(sdk.tour),
    ),
    '',
    deliveryTable(results),
    '',
    nativeTable(results),
  ].join('\n');
}
