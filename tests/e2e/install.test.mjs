// The two ways to install the SDK: the snippet and script tag on a page of another origin than
// the collector's (calls made before the SDK loads are replayed in order), and an ES module
// imported from pkg/; the script tag with the optional preload hint for the wasm; and the SDK and
// the config as the collector serves them: compressed (brotli, or gzip for a page on plain
// HTTP), and revalidated by the next page.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, collectorAndBrowser, launchBrowser, startAppServer, startCollector, newPage, sdkReady } from './harness.mjs';

const shared = collectorAndBrowser();

/** The SDK's two files as a page with the script tag loads them: URL path, and name in pkg/. */
const SDK_FILES = { '/uptake/uptake.js': 'uptake.js', '/uptake/uptake_wasm_bg.wasm': 'uptake_wasm_bg.wasm' };

/** Records the `Content-Encoding` of each response of `page`, by URL path. */
function recordEncodings(page) {
  const encodings = new Map();
  page.on('response', (response) => encodings.set(new URL(response.url()).pathname, response.headers()['content-encoding']));
  return encodings;
}

/** The SDK's files and the config as the page fetched them: [transferred, encoded, decoded] bytes by URL path. */
function fetchedSizes(page) {
  return page.evaluate(() => Object.fromEntries(performance.getEntriesByType('resource')
    .filter((entry) => /\/uptake\/uptake(\.js|_wasm_bg\.wasm)$|\/v1\/config$/.test(entry.name))
    .map((entry) => [new URL(entry.name).pathname, [entry.transferSize, entry.encodedBodySize, entry.decodedBodySize]])));
}

/** The file extension of each `Content-Encoding` form scripts/build-sdk writes. */
const EXTENSIONS = { br: 'br', gzip: 'gz' };

/** Asserts that each SDK file came with `Content-Encoding: encoding`, as the bytes of the form build-sdk wrote, decoded to the file's. */
function assertServedAs(encodings, sizes, encoding) {
  const extension = EXTENSIONS[encoding];
  for (const [path, file] of Object.entries(SDK_FILES)) {
    assert.equal(encodings.get(path), encoding, path);
    const [, encoded, decoded] = sizes[path];
    assert.deepEqual([encoded, decoded], [statSync(join(ROOT, 'pkg', `${file}.${extension}`)).size, statSync(join(ROOT, 'pkg', file)).size],
      `${path}: the .${extension} form scripts/build-sdk wrote, read back as the file`);
  }
}

test('the snippet on another origin: queued calls replay in order and reach the collector', async () => {
  let html = '';
  const app = await startAppServer(() => html);
  // The collector lets the app's origin read its answers; other origins may not.
  const collector = await startCollector({ allowOrigins: [app.url] });
  html = `<!doctype html><html><head><title>Another app</title>
<script>window.uptake=window.uptake||[];uptake.push(['identify','u-42',{role:'admin',signed_up_at:'2026-08-01'}]);</script>
<script async src="${collector.url}/uptake/uptake.js" data-collector="${collector.url}" data-write-key="dev"></script>
<script>uptake.push(['track','report.opened',{report:'aging'}]);uptake.push(['group','acme',{plan:'pro'}]);</script>
</head><body><button data-uptake-feature="reports.export">Export</button></body></html>`;
  const context = await shared.browser.newContext();
  const page = await newPage(context);
  await page.goto(`${app.url}/app.html`);
  await sdkReady(page);
  await page.getByRole('button', { name: 'Export' }).click();
  await page.evaluate(() => window.uptake.track('report.exported', { format: 'csv' }));
  await page.evaluate(() => window.uptake.flush());

  const anonymousId = await page.evaluate(() => window.uptake.anonymousId());
  const rows = collector.query(`SELECT type, event, json_extract(body, '$.context.page.url'), user_id
    FROM events WHERE anonymous_id = '${anonymousId}' ORDER BY message_id`);
  // The SDK's own events (experiences the demo config shows) are left out here.
  const own = /^(experience_|checklist_|tour_|survey_|goal_)/;
  assert.deepEqual(rows.map((row) => row[1] || row[0]).filter((name) => !own.test(name)),
    ['identify', 'report.opened', 'group', 'page', 'feature_used', 'report.exported'],
    'the snippet\'s calls first, in order, then the page view, then calls made after loading');
  assert.ok(rows.every((row) => row[2] === `${app.url}/app.html` && row[3] === 'u-42'));
  const traits = collector.query(`SELECT body FROM events WHERE anonymous_id = '${anonymousId}' AND type = 'identify'`);
  assert.deepEqual(JSON.parse(traits[0][0]).traits, { role: 'admin', signed_up_at: '2026-08-01' });
  assert.deepEqual(page.uncaughtErrors, []);
  await context.close();
  await app.stop();
  await collector.stop();
});

test('the ES module from pkg/ loads with instantiateStreaming and sends to the collector', async () => {
  const html = `<!doctype html><html><head><title>ESM</title><script type="module">
import { load } from '/uptake/index.js';
window.sdk = await load({ collector: location.origin, writeKey: 'dev', autoPage: false });
</script></head><body></body></html>`;
  const context = await shared.browser.newContext();
  const page = await newPage(context);
  await page.route(`${shared.collector.url}/esm.html`, (route) => route.fulfill({ contentType: 'text/html', body: html }));
  const wasm = page.waitForResponse((response) => response.url().endsWith('.wasm'));
  // The order the page calls fetch() in: the browser may report two requests sent in the same
  // task in either order, so the network events cannot tell which went out first.
  await page.addInitScript(() => {
    const fetch = window.fetch;
    window.fetchedPaths = [];
    window.fetch = (input, init) => {
      window.fetchedPaths.push(new URL(input instanceof Request ? input.url : input, location.href).pathname);
      return fetch(input, init);
    };
  });
  await page.goto(`${shared.collector.url}/esm.html`);
  assert.equal((await wasm).headers()['content-type'], 'application/wasm', 'so the browser can compile while it downloads');
  await page.waitForFunction(() => window.sdk);
  const fetched = await page.evaluate(() => window.fetchedPaths);
  assert.deepEqual(fetched.filter((path) => path.endsWith('.wasm') || path === '/v1/config'),
    ['/uptake/uptake_wasm_bg.wasm', '/v1/config'], 'the start waits for the wasm alone, so its request goes out first');
  assert.deepEqual(Object.keys(await page.evaluate(() => window.sdk)).sort(),
    ['adoption', 'anonymousId', 'debug', 'featureUsage', 'flush', 'group', 'identify', 'page', 'push', 'startTour', 'track']);
  await page.evaluate(() => {
    window.sdk.identify('u-7');
    window.sdk.track('invoice.approved', { invoice_id: 'INV-9', when: new Date(Date.UTC(2026, 10, 24)) });
    return window.sdk.flush();
  });
  const rows = shared.collector.query(`SELECT json_extract(body, '$.properties.when') FROM events
    WHERE user_id = 'u-7' AND event = 'invoice.approved'`);
  assert.deepEqual(rows, [['2026-11-24T00:00:00.000Z']], 'properties are JSON: a Date becomes its ISO string');
  assert.equal(await page.evaluate(() => window.sdk.featureUsage('invoices.approve').count), 1);
  assert.deepEqual(page.uncaughtErrors, []);
  await context.close();
});

test('with the README\'s preload hint, the loader uses the preloaded wasm: one request for it', async () => {
  const html = `<!doctype html><html><head><title>Preload</title>
<link rel="preload" href="/uptake/uptake_wasm_bg.wasm" as="fetch" crossorigin>
<script async src="/uptake/uptake.js" data-write-key="dev" data-auto-page="false"></script>
</head><body></body></html>`;
  const context = await shared.browser.newContext();
  const page = await newPage(context);
  const wasmRequests = [];
  page.on('request', (request) => {
    if (new URL(request.url()).pathname.endsWith('.wasm')) wasmRequests.push(request.url());
  });
  await page.route(`${shared.collector.url}/preload.html`, (route) => route.fulfill({ contentType: 'text/html', body: html }));
  await page.goto(`${shared.collector.url}/preload.html`);
  await sdkReady(page);
  await page.evaluate(() => {
    window.uptake.identify('u-preload');
    window.uptake.track('invoice.approved', { invoice_id: 'INV-3' });
    return window.uptake.flush();
  });
  assert.deepEqual(wasmRequests, [`${shared.collector.url}/uptake/uptake_wasm_bg.wasm`],
    'the loader\'s fetch takes the preloaded response instead of asking again');
  const rows = shared.collector.query(`SELECT event FROM events WHERE user_id = 'u-preload' AND event = 'invoice.approved'`);
  assert.deepEqual(rows, [['invoice.approved']]);
  assert.deepEqual(page.uncaughtErrors, []);
  await context.close();
});

test('the collector serves the SDK with brotli and the config with gzip; the next page revalidates them, without their bodies', async () => {
  const context = await shared.browser.newContext();
  const page = await newPage(context);
  const encodings = recordEncodings(page);

  await page.goto(`${shared.collector.url}/`);
  await sdkReady(page);
  await page.waitForFunction(() => performance.getEntriesByType('resource').some((entry) => entry.name.endsWith('/v1/config')));
  const first = await fetchedSizes(page);
  assertServedAs(encodings, first, 'br');
  assert.equal(encodings.get('/v1/config'), 'gzip');
  const [, configEncoded, configDecoded] = first['/v1/config'];
  assert.ok(configEncoded * 2 < configDecoded, `the config: ${configEncoded} bytes for ${configDecoded}`);

  await page.goto(`${shared.collector.url}/`);
  await sdkReady(page);
  await page.waitForFunction(() => performance.getEntriesByType('resource').some((entry) => entry.name.endsWith('/v1/config')));
  const second = await fetchedSizes(page);
  for (const path of [...Object.keys(SDK_FILES), '/v1/config']) {
    // Headers only: a 304 (the bodies came in thousands of bytes).
    const [transferred] = second[path];
    assert.ok(transferred > 0 && transferred < 1000, `${path}: revalidated, ${transferred} bytes moved for ${first[path][0]}`);
  }
  assert.deepEqual(page.uncaughtErrors, []);
  await context.close();
});

test('a browser on plain HTTP gets the SDK in the gzip form scripts/build-sdk wrote, and the SDK starts from it', async () => {
  // Browsers offer brotli only over HTTPS and on localhost: this one reaches the collector by a
  // name of its own, over plain HTTP, as a page of an intranet app would.
  const host = 'uptake-collector.test';
  const browser = await launchBrowser({ args: [`--host-resolver-rules=MAP ${host} 127.0.0.1`] });
  try {
    const page = await newPage(await browser.newContext());
    const encodings = recordEncodings(page);
    const origin = shared.collector.url.replace('127.0.0.1', host);
    await page.goto(`${origin}/`);
    await sdkReady(page);
    assert.equal(await page.evaluate(() => window.isSecureContext), false);
    assertServedAs(encodings, await fetchedSizes(page), 'gzip');
    await page.evaluate(() => {
      window.uptake.identify('u-plain-http');
      window.uptake.track('invoice.approved', { invoice_id: 'INV-4' });
      return window.uptake.flush();
    });
    const rows = shared.collector.query(`SELECT event FROM events WHERE user_id = 'u-plain-http' AND event = 'invoice.approved'`);
    assert.deepEqual(rows, [['invoice.approved']]);
    assert.deepEqual(page.uncaughtErrors, []);
  } finally {
    await browser.close();
  }
});

test('bad calls from the host page never throw', async () => {
  const context = await shared.browser.newContext();
  const page = await newPage(context);
  await page.goto(`${shared.collector.url}/`);
  await sdkReady(page);
  const warnings = [];
  page.on('console', (message) => {
    if (message.type() === 'warning') warnings.push(message.text());
  });
  const outcome = await page.evaluate(() => {
    const cyclic = {};
    cyclic.self = cyclic;
    const calls = [
      () => window.uptake.track(),
      () => window.uptake.track(42),
      () => window.uptake.track('x', cyclic),
      () => window.uptake.track('x', 'text'),
      () => window.uptake.identify({ id: 1 }),
      () => window.uptake.group(null),
      () => window.uptake.page(7),
      () => window.uptake.push('track'),
      () => window.uptake.featureUsage(undefined),
    ];
    const thrown = [];
    for (const call of calls) {
      try { call(); } catch (error) { thrown.push(String(error)); }
    }
    const detached = window.uptake.track;
    try { detached('still works'); } catch (error) { thrown.push(String(error)); }
    return thrown;
  });
  assert.deepEqual(outcome, []);
  assert.ok(warnings.length >= 8, `one warning per bad call: ${warnings.join(' | ')}`);
  assert.ok(warnings.some((warning) => warning.includes('track ignored: the event name must be a string')));
  assert.deepEqual(page.uncaughtErrors, []);
  await context.close();
});
