// Uptake against its peers, in one headless Chromium and one run so that the ratios hold on a
// noisy machine: each SDK in fresh pages against the local collector (bench/collector.mjs).
//
//   node bench/peers.mjs [--quick] [--only uptake,snowplow]   (after scripts/build-sdk and `npm install` in bench/)
//
// Measures, as medians over repetitions: the bytes a page downloads for the SDK; the time from
// script start to ready; the main-thread cost of track() and the main-thread busy time per
// event; long tasks; the JS heap after 10,000 events; the time to show the first step of a
// 5-step anchored tour; and delivery when the page reloads mid-send or the collector answers
// 503 for 5 s. Writes bench/results/peers.json and bench/results/peers.md.

import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { launchBrowser } from '../tests/e2e/harness.mjs';
import { brotli, gzip } from '../scripts/compress.mjs';
import { startBenchCollector } from './collector.mjs';
import { PAGE_SCRIPTS, SDKS, TOUR_LIBRARIES, openUntil, tourConfig, untilMark } from './sdks.mjs';
import { markdownReport } from './report.mjs';

const BENCH = dirname(fileURLToPath(import.meta.url));
const ROOT = join(BENCH, '..');
const QUICK = process.argv.includes('--quick');
// `--only uptake,snowplow`: those alone, printed but not written to bench/results/.
const onlyArgument = process.argv.indexOf('--only');
const ONLY = onlyArgument > 0 ? (process.argv[onlyArgument + 1] || '').split(',') : null;
const REPETITIONS = QUICK ? { load: 3, track: 1, tour: 3 } : { load: 9, track: 3, tour: 9 };
const TRACKED = 10_000;
const DELIVERY_EVENTS = 500;

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Bundles each peer's entry (bench/peers/*.js) into one minified script, lazily loaded parts included. */
async function bundlePeers() {
  const entries = [...SDKS, ...TOUR_LIBRARIES].filter((sdk) => sdk.entry).map((sdk) => join(BENCH, 'peers', sdk.entry));
  await build({
    entryPoints: entries,
    outdir: join(BENCH, 'dist'),
    bundle: true,
    minify: true,
    format: 'iife',
    target: 'es2020',
    logLevel: 'warning',
    loader: { '.css': 'css' },
  });
}

/** A page with the SDK's tags after a mark of the script start, and five anchors for tours. */
function pageHtml(head) {
  const anchors = [1, 2, 3, 4, 5]
    .map((step) => `<section id="step-${step}" style="margin:40px;padding:20px;border:1px solid #ccc">Section ${step}</section>`)
    .join('\n');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>bench</title>
<script>window.benchStart = performance.now();</script>
${PAGE_SCRIPTS}
${head}
</head><body><main><h1>Bench</h1>${anchors}</main></body></html>`;
}

const fileSizes = new Map();

/** A file's sizes, raw and compressed as `scripts/build-sdk` compresses Uptake's, for every SDK alike. */
function sizeOf(file) {
  if (!fileSizes.has(file)) {
    fileSizes.set(file, (async () => {
      const content = await readFile(file);
      return { raw: content.length, gzip: (await gzip(content)).length, brotli: brotli(content, file).length };
    })());
  }
  return fileSizes.get(file);
}

/**
 * The files the page downloaded for the SDK, raw, gzipped and with brotli (as a server that
 * compresses would send them), after giving it half a second to load whatever it loads lazily.
 */
async function servedBytes(collector) {
  await sleep(500);
  const files = [...new Set(collector.served)];
  const sizes = await Promise.all(files.map(sizeOf));
  return {
    raw: sizes.reduce((sum, size) => sum + size.raw, 0),
    gzip: sizes.reduce((sum, size) => sum + size.gzip, 0),
    brotli: sizes.reduce((sum, size) => sum + size.brotli, 0),
    files: files.map((file) => file.slice(ROOT.length + 1)),
  };
}

/** Opens `path` in a fresh context and waits until the SDK said it is ready (`readyMs` after script start). */
async function openReady(browser, collector, path) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (error) => errors.push(String(error)));
  const readyMs = await openUntil(page, `${collector.origin}${path}`, 'benchReadyAt');
  return { context, page, errors, readyMs };
}

async function measureLoad(browser, collector, sdk) {
  const readyMs = [];
  let bytes = null;
  for (let repetition = 0; repetition < REPETITIONS.load; repetition += 1) {
    collector.reset();
    const { context, readyMs: ready } = await openReady(browser, collector, `/${sdk.id}.html`);
    readyMs.push(ready);
    bytes = await servedBytes(collector);
    await context.close();
  }
  return { bytes, readyMs: median(readyMs), readyRuns: readyMs };
}

/** The bytes of every WebAssembly memory of the page: outside the JS heap, so added to it. */
async function wasmMemoryBytes(cdp) {
  const { result: prototype } = await cdp.send('Runtime.evaluate', { expression: 'WebAssembly.Memory.prototype' });
  const { objects } = await cdp.send('Runtime.queryObjects', { prototypeObjectId: prototype.objectId });
  const { result } = await cdp.send('Runtime.callFunctionOn', {
    objectId: objects.objectId,
    functionDeclaration: 'function () { return this.reduce((sum, memory) => sum + memory.buffer.byteLength, 0); }',
    returnByValue: true,
  });
  return result.value;
}

/** 10,000 track() calls in tasks of 100, each group of 10 timed; then the work that follows. */
async function measureTrack(browser, collector, sdk) {
  const runs = [];
  for (let repetition = 0; repetition < REPETITIONS.track; repetition += 1) {
    const started = Date.now();
    collector.reset();
    const { context, page, errors } = await openReady(browser, collector, `/${sdk.id}.html`);
    const cdp = await context.newCDPSession(page);
    await cdp.send('Performance.enable');
    await sleep(1000);
    const taskSeconds = async () =>
      (await cdp.send('Performance.getMetrics')).metrics.find((metric) => metric.name === 'TaskDuration').value;
    const busyBefore = await taskSeconds();
    const calls = await page.evaluate(async (count) => {
      const longTasks = [];
      new PerformanceObserver((list) => longTasks.push(...list.getEntries().map((entry) => entry.duration))).observe({
        type: 'longtask',
      });
      window.benchLongTasks = longTasks;
      const perCall = [];
      for (let sent = 0; sent < count; ) {
        for (let group = 0; group < 10; group += 1) {
          const start = performance.now();
          for (let call = 0; call < 10; call += 1, sent += 1) {
            window.benchSdk.track('bench.track', { bench_seq: sent, plan: 'pro', amount: 1200, manual: true });
          }
          perCall.push(((performance.now() - start) * 1000) / 10);
        }
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
      perCall.sort((a, b) => a - b);
      return { median: perCall[Math.floor(perCall.length / 2)], p99: perCall[Math.floor(perCall.length * 0.99)] };
    }, TRACKED);
    // The SDK's batching and sending after the calls, until every event is in or 20 s passed.
    const deadline = Date.now() + (sdk.events ? 20_000 : 1_000);
    while (Date.now() < deadline && collector.state.tally.distinct < TRACKED) await sleep(100);
    await sleep(1000);
    const busyAfter = await taskSeconds();
    const longTasks = await page.evaluate(() => window.benchLongTasks);
    await cdp.send('HeapProfiler.collectGarbage');
    const heap = (await cdp.send('Runtime.getHeapUsage')).usedSize;
    const wasmMemory = await wasmMemoryBytes(cdp);
    runs.push({
      trackMedianUs: calls.median,
      trackP99Us: calls.p99,
      busyPerEventUs: ((busyAfter - busyBefore) * 1e6) / TRACKED,
      longTasks: longTasks.length,
      longestTaskMs: Math.max(0, ...longTasks),
      heapBytes: heap + wasmMemory,
      wasmMemoryBytes: wasmMemory,
      delivered: collector.state.tally.distinct,
      errors,
    });
    await context.close();
    // An SDK this slow gives a stable figure in one run; more would take minutes each.
    if (Date.now() - started > 60_000) break;
  }
  const pick = (key) => median(runs.map((run) => run[key]));
  return {
    trackMedianUs: pick('trackMedianUs'),
    trackP99Us: pick('trackP99Us'),
    busyPerEventUs: pick('busyPerEventUs'),
    longTasks: Math.max(...runs.map((run) => run.longTasks)),
    longestTaskMs: Math.max(...runs.map((run) => run.longestTaskMs)),
    heapBytes: pick('heapBytes'),
    deliveredWithin20s: pick('delivered'),
    runs,
  };
}

/**
 * Time from script start until the first step of the tour is on screen, and the long tasks of
 * the page until half a second after it (the start's work: the tour, and for Uptake its config
 * and checklist).
 */
async function measureTour(browser, collector, library) {
  const times = [];
  const longTasks = [];
  let bytes = null;
  for (let repetition = 0; repetition < REPETITIONS.tour; repetition += 1) {
    collector.reset();
    const context = await browser.newContext();
    const page = await context.newPage();
    times.push(await openUntil(page, `${collector.origin}/${library.id}-tour.html`, 'benchFirstStepAt'));
    await sleep(500);
    longTasks.push(...(await page.evaluate(() => window.benchLongTasks)));
    bytes = await servedBytes(collector);
    await context.close();
  }
  return { firstStepMs: median(times), runs: times, bytes, longTasks: longTasks.length, longestTaskMs: Math.max(0, ...longTasks) };
}

/**
 * Waits until every event arrived and none more for `quietMs` ('all'), or none arrived for
 * `stallMs` ('stalled'), or `timeoutMs` passed ('timeout'); returns which.
 */
async function settle(collector, expected, { quietMs = 3000, stallMs = 3 * quietMs + 5000, timeoutMs = 30_000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last = -1;
  let lastChange = Date.now();
  while (Date.now() < deadline) {
    const { distinct } = collector.state.tally;
    if (distinct !== last) {
      last = distinct;
      lastChange = Date.now();
    }
    if (distinct >= expected && Date.now() - lastChange > quietMs) return 'all';
    if (distinct < expected && Date.now() - lastChange > stallMs) return 'stalled';
    await sleep(100);
  }
  return 'timeout';
}

function trackDeliveryEvents(page) {
  return page.evaluate((count) => {
    for (let seq = 0; seq < count; seq += 1) {
      window.benchSdk.track('bench.delivery', { bench_seq: seq, plan: 'pro', amount: 1200 });
    }
  }, DELIVERY_EVENTS);
}

/** 500 events, and the page reloads while the first request's answer is held back. */
async function deliveryWithReload(browser, collector, sdk) {
  collector.reset();
  collector.state.holdMs = 300;
  const { context, page } = await openReady(browser, collector, `/${sdk.id}.html`);
  await trackDeliveryEvents(page);
  const deadline = Date.now() + 10_000;
  while (collector.state.firstEventRequest === null && Date.now() < deadline) await sleep(10);
  await untilMark(page, 'benchReadyAt', () => page.reload({ waitUntil: 'commit' }));
  collector.state.holdMs = 0;
  await settle(collector, DELIVERY_EVENTS);
  await context.close();
  return collector.state.tally.summary(DELIVERY_EVENTS);
}

/**
 * 500 events while the collector answers 503 for 5 s, then 200. An SDK that keeps its events
 * retries them after a backoff that grows with each failure (Uptake's: a random delay up to 1 s
 * after the first failure in a row, 16 s after the fifth, 32 s after the sixth), so an event
 * counts as lost only when nothing more arrived for 60 s, or 120 s have passed. The summary says
 * when the last one came after the 503s ended, and whether the 120 s ended the wait.
 */
async function deliveryThrough503(browser, collector, sdk) {
  collector.reset();
  const { context, page } = await openReady(browser, collector, `/${sdk.id}.html`);
  collector.state.failing = true;
  await trackDeliveryEvents(page);
  await sleep(5000);
  collector.state.failing = false;
  const recoveredAt = Date.now();
  const ended = await settle(collector, DELIVERY_EVENTS, { stallMs: 60_000, timeoutMs: 120_000 });
  const { tally } = collector.state;
  const summary = {
    ...tally.summary(DELIVERY_EVENTS),
    refused: tally.refused,
    lastArrivalMs: tally.lastNewAt === null ? null : Math.max(0, tally.lastNewAt - recoveredAt),
    timedOut: ended === 'timeout',
  };
  await context.close();
  return summary;
}

/** The medians of the criterion benchmarks under `directory`, if scripts/bench-peers ran them. */
async function criterionMedians(directory) {
  const names = await readdir(directory).catch(() => []);
  const benches = await Promise.all(
    names.map(async (name) => {
      const read = async (file) => JSON.parse(await readFile(join(directory, name, 'new', file), 'utf8'));
      try {
        const [{ title }, { median }] = await Promise.all([read('benchmark.json'), read('estimates.json')]);
        return { name: title, medianNs: median.point_estimate };
      } catch {
        return null; // criterion's own report folder
      }
    }),
  );
  return benches.filter(Boolean).sort((a, b) => a.name.localeCompare(b.name));
}

function machine() {
  return `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, headless Chromium`;
}

await bundlePeers();
const uptakeConfig = await tourConfig(join(ROOT, 'www', 'uptake.config.json'));
const collector = await startBenchCollector({
  files: { '/pkg/': join(ROOT, 'pkg'), '/dist/': join(BENCH, 'dist') },
  uptakeConfig,
});
const measured = [...SDKS, ...TOUR_LIBRARIES].filter((sdk) => !ONLY || ONLY.includes(sdk.id));
for (const sdk of measured) {
  if (sdk.head) collector.pages.set(`/${sdk.id}.html`, pageHtml(sdk.head));
  if (sdk.tourHead) collector.pages.set(`/${sdk.id}-tour.html`, pageHtml(sdk.tourHead));
}

const browser = await launchBrowser();
const results = { date: new Date().toISOString(), machine: machine(), quick: QUICK, sdks: {} };
try {
  const version = browser.version();
  results.browser = `Chromium ${version}`;
  for (const sdk of measured) {
    const result = { name: sdk.name, kind: sdk.kind };
    process.stderr.write(`${sdk.name}: `);
    if (sdk.head) {
      Object.assign(result, await measureLoad(browser, collector, sdk));
      process.stderr.write(`ready ${result.readyMs.toFixed(1)} ms; `);
    }
    if (sdk.head && sdk.events) {
      result.track = await measureTrack(browser, collector, sdk);
      process.stderr.write(`track ${result.track.trackMedianUs.toFixed(2)} µs; `);
    }
    if (sdk.tourHead) {
      result.tour = await measureTour(browser, collector, sdk);
      process.stderr.write(`tour ${result.tour.firstStepMs.toFixed(1)} ms; `);
    }
    if (sdk.events) {
      result.delivery = {
        reload: await deliveryWithReload(browser, collector, sdk),
        unavailable: await deliveryThrough503(browser, collector, sdk),
      };
      process.stderr.write(`delivery ${JSON.stringify(result.delivery)}`);
    }
    process.stderr.write('\n');
    results.sdks[sdk.id] = result;
  }
} finally {
  await browser.close();
  await collector.close();
}

results.native = await criterionMedians(join(ROOT, 'target', 'criterion-peers'));
const report = markdownReport(results);
if (!ONLY) {
  await mkdir(join(BENCH, 'results'), { recursive: true });
  await writeFile(join(BENCH, 'results', 'peers.json'), `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(join(BENCH, 'results', 'peers.md'), report);
}
console.log(report);
