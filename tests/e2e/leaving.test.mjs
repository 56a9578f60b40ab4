// Events tracked just before the page goes away, in headless Chromium against the real
// collector: a burst of 500 events tracked as soon as the SDK is ready (or a while after), and
// in the same task the page reloads, or the tab closes; on a first visit, also with an IndexedDB
// that opens late; and calls the snippet queued before the SDK was ready, then a reload.
// Whatever the moment, every event reaches the collector once: what the SDK had not stored yet
// when the page went away was written ahead or sent on the way out.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { collectorAndBrowser, eventually, newPage, sdkReady } from './harness.mjs';

const shared = collectorAndBrowser();

const BURST = 500;
const RUNS = 30;

/**
 * A page with the snippet and the SDK's script tag, as a customer's app has them. Opened as
 * `?run=<id>&wait=<ms>&leave=reload|close`, it tracks the burst `wait` ms after the SDK is ready
 * (the moment the loader hands the page its API), then reloads or closes itself in the same task;
 * once per run, so the reloaded page does not do it again.
 */
const APP_PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>App</title>
<script>
const params = new URLSearchParams(location.search);
const run = params.get('run');
let api = [];
Object.defineProperty(window, 'uptake', { configurable: true, get: () => api, set(value) {
  api = value;
  if (Array.isArray(value) || !run || sessionStorage.getItem(run)) return;
  sessionStorage.setItem(run, 'done');
  setTimeout(() => {
    for (let sequence = 0; sequence < ${BURST}; sequence += 1) value.track('leaving.burst', { run, sequence });
    if (params.get('leave') === 'reload') location.reload();
    else window.close();
  }, Number(params.get('wait')));
} });
uptake.push(['identify', 'u-leaving', { role: 'admin' }]);
</script>
<script async src="/uptake/uptake.js" data-write-key="dev"></script></head><body><p>App</p></body></html>`;

/** The moments after ready at which the burst comes: RUNS of them from 0 to 500 ms. */
const MOMENTS = Array.from({ length: RUNS }, (_, run) => Math.round((run * 500) / (RUNS - 1)));

/** How many times each sequence number of `run` was stored, and which are missing. */
function tally(run) {
  const rows = shared.collector.query(`SELECT json_extract(body, '$.properties.sequence'), count(*) FROM events
    WHERE event = 'leaving.burst' AND json_extract(body, '$.properties.run') = '${run}' GROUP BY 1`);
  const times = new Map(rows);
  const missing = [];
  for (let sequence = 0; sequence < BURST; sequence += 1) {
    if (!times.has(sequence)) missing.push(sequence);
  }
  return { stored: rows.length, twice: rows.filter(([, count]) => count > 1).length, missing };
}

/** Waits until all of `run` is stored (flushing `page` meanwhile), then tallies it. */
async function delivered(run, page) {
  await eventually(async () => {
    await page.evaluate(() => window.uptake.flush());
    return tally(run).stored === BURST;
  }, { timeout: 10_000, interval: 250 });
  return tally(run);
}

async function serveApp(context) {
  await context.route(`${shared.collector.url}/app/**`, (route) => route.fulfill({ contentType: 'text/html', body: APP_PAGE }));
}

/**
 * Opens the app in a new context (a first visit) for `run`, whose burst comes `wait` ms after
 * ready, then the page's reload; resolves with how the burst was stored.
 */
async function reloadRun({ run, wait, initScript }) {
  const context = await shared.browser.newContext();
  if (initScript) await context.addInitScript(initScript);
  await serveApp(context);
  const page = await newPage(context);
  // The first load, then the one the page's reload makes.
  const reloaded = new Promise((resolve) => {
    let loads = 0;
    const onLoad = () => {
      loads += 1;
      if (loads === 2) {
        page.off('load', onLoad);
        resolve();
      }
    };
    page.on('load', onLoad);
  });
  await page.goto(`${shared.collector.url}/app/reload.html?run=${run}&wait=${wait}&leave=reload`);
  await reloaded;
  await sdkReady(page);
  const { stored, twice, missing } = await delivered(run, page);
  const errors = page.uncaughtErrors;
  await context.close();
  return { wait, stored, twice, lost: missing.length, errors };
}

function report(results) {
  return `runs (wait ms: stored/lost/twice): ${results.map((r) => `${r.wait}:${r.stored}/${r.lost}/${r.twice}`).join(' ')}`;
}

test(`a new user's burst 0 to 500 ms after ready, then a reload in the same task: every event stored once (${RUNS} runs)`,
  { timeout: 600_000 }, async (t) => {
    const results = [];
    for (const [index, wait] of MOMENTS.entries()) results.push(await reloadRun({ run: `reload-${index}`, wait }));
    t.diagnostic(report(results));
    assert.deepEqual(results.filter((result) => result.lost > 0 || result.twice > 0), [], 'no run lost or doubled an event');
    assert.deepEqual(results.flatMap((result) => result.errors), []);
  });

/** Before any script of the page: IndexedDB's open answers 300 ms late, as on a cold profile. */
function slowIndexedDbOpen() {
  const open = IDBFactory.prototype.open;
  IDBFactory.prototype.open = function (...args) {
    const request = open.apply(this, args);
    request.addEventListener('success', (event) => {
      if (event.late) return;
      event.stopImmediatePropagation();
      setTimeout(() => {
        const late = new Event('success');
        late.late = true;
        request.dispatchEvent(late);
      }, 300);
    }, { capture: true });
    return request;
  };
}

test('a first visit whose IndexedDB opens 300 ms late: a burst 0 to 250 ms after ready, then a reload, loses nothing',
  { timeout: 300_000 }, async (t) => {
    const results = [];
    for (let index = 0; index < 10; index += 1) {
      results.push(await reloadRun({ run: `slow-${index}`, wait: index * 25, initScript: slowIndexedDbOpen }));
    }
    t.diagnostic(report(results));
    assert.deepEqual(results.filter((result) => result.lost > 0 || result.twice > 0), [], 'no run lost or doubled an event');
  });

test(`a burst tracked 0 to 500 ms after ready, then the tab closes in the same task: every event stored once (${RUNS} runs)`,
  { timeout: 600_000 }, async (t) => {
    const context = await shared.browser.newContext();
    await serveApp(context);
    // The app's first tab stays open; the closing tabs are opened by it, so they may close
    // themselves (window.close()).
    const opener = await newPage(context);
    await opener.goto(`${shared.collector.url}/app/opener.html`);
    await sdkReady(opener);
    const results = [];
    for (const [index, wait] of MOMENTS.entries()) {
      const run = `close-${index}`;
      const opened = context.waitForEvent('page');
      await opener.evaluate((url) => { window.open(url); }, `/app/closing.html?run=${run}&wait=${wait}&leave=close`);
      const tab = await opened;
      tab.uncaughtErrors = [];
      tab.on('pageerror', (error) => tab.uncaughtErrors.push(error));
      if (!tab.isClosed()) await tab.waitForEvent('close');
      assert.deepEqual(tab.uncaughtErrors, []);
      const { stored, twice, missing } = await delivered(run, opener);
      results.push({ wait, stored, twice, lost: missing.length });
    }
    t.diagnostic(report(results));
    assert.deepEqual(results.filter((result) => result.lost > 0 || result.twice > 0), [], 'no run lost or doubled an event');
    await context.close();
  });

test('calls the snippet queued while the SDK loads survive a reload before it is ready', async () => {
  const context = await shared.browser.newContext();
  let holdWasm = true;
  await context.route('**/uptake/uptake_wasm_bg.wasm*', async (route) => {
    if (holdWasm) await new Promise((resolve) => setTimeout(resolve, 5_000));
    await route.continue().catch(() => {});
  });
  const queuing = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>App</title>
<script>
window.uptake = window.uptake || [];
for (let sequence = 0; sequence < 10; sequence += 1) uptake.push(['track', 'leaving.queued', { sequence }]);
</script>
<script src="/uptake/uptake.js" data-write-key="dev"></script>
<script>for (let sequence = 10; sequence < 20; sequence += 1) uptake.track('leaving.queued', { sequence });</script>
</head><body><p>App</p></body></html>`;
  const quiet = '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>App</title>'
    + '<script async src="/uptake/uptake.js" data-write-key="dev"></script></head><body></body></html>';
  let served = 0;
  await context.route(`${shared.collector.url}/app/queued.html`, (route) => {
    served += 1;
    route.fulfill({ contentType: 'text/html', body: served === 1 ? queuing : quiet });
  });
  const page = await newPage(context);
  await page.goto(`${shared.collector.url}/app/queued.html`);
  assert.equal(await page.evaluate(() => Array.isArray(window.uptake)), true, 'the SDK is not ready yet');
  holdWasm = false;
  await page.reload();
  await sdkReady(page);
  const times = await eventually(async () => {
    await page.evaluate(() => window.uptake.flush());
    const rows = shared.collector.query(`SELECT json_extract(body, '$.properties.sequence'), count(*) FROM events
      WHERE event = 'leaving.queued' GROUP BY 1`);
    return rows.length === 20 ? rows : null;
  });
  assert.ok(times, 'the 20 queued calls were sent by the next page');
  assert.deepEqual(times.filter(([, count]) => count > 1), [], 'each once');
  assert.deepEqual(page.uncaughtErrors, []);
  await context.close();
});
