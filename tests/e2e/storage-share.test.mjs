// The host's localStorage is the host's, in headless Chromium against the real collector, with
// IndexedDB unavailable so that events wait in localStorage: on a storage the host filled to
// within a few kilobytes of its quota, the SDK goes through 10,000 events and the host can still
// write as much as it could before; with room to spare, the SDK's keys never take more than its
// 1 MiB share, and the events that do not fit are dropped oldest first, counted and reported.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { collectorAndBrowser, eventually, fixtureHtml, newPage, sdkReady } from './harness.mjs';

const shared = collectorAndBrowser();

const EVENTS = 10_000;

/** A page of the host with the SDK and a config of no rules: no event but the page's own. */
const PAGE = fixtureHtml({ config: { version: 1 }, body: '<p>Host</p>' });

/**
 * Before any script of the page: IndexedDB throws, as in some private modes; with `fill`,
 * localStorage is filled to within a few kilobytes of its quota, and the largest value the host
 * can still write is noted in `window.hostRoom`.
 */
function blockIndexedDb({ fill }) {
  Object.defineProperty(window, 'indexedDB', {
    get() { throw new DOMException('IndexedDB is off in this test', 'SecurityError'); },
  });
  if (!fill || sessionStorage.getItem('filled')) return;
  sessionStorage.setItem('filled', '1');
  const fits = (key, size) => {
    try {
      localStorage.setItem(key, 'x'.repeat(size));
      return true;
    } catch (_) {
      return false;
    }
  };
  let chunk = 1 << 22;
  for (let index = 0; chunk >= 1024; index += 1) {
    if (!fits(`host-fill-${index}`, chunk)) chunk >>= 1;
  }
  // The largest value that still fits, to the byte.
  let [low, high] = [0, 4096];
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (fits('host-room', middle)) low = middle;
    else high = middle - 1;
    localStorage.removeItem('host-room');
  }
  window.hostRoom = low;
}

async function openHost(context, path) {
  await context.route(`${shared.collector.url}${path}`, (route) => route.fulfill({ contentType: 'text/html', body: PAGE }));
  const page = await newPage(context);
  const quotaErrors = [];
  page.on('console', (message) => {
    if (/QuotaExceeded/.test(message.text())) quotaErrors.push(message.text());
  });
  page.quotaErrors = quotaErrors;
  await page.goto(`${shared.collector.url}${path}`);
  await sdkReady(page);
  return page;
}

/** Tracks `count` events in chunks of 500, one task each; with `flush`, sent after each chunk. */
async function trackMany(page, name, count, { flush = false } = {}) {
  for (let from = 0; from < count; from += 500) {
    await page.evaluate(({ name, from, to, flush }) => {
      for (let sequence = from; sequence < to; sequence += 1) window.uptake.track(name, { sequence, padding: 'p'.repeat(200) });
      return flush ? window.uptake.flush() : undefined;
    }, { name, from, to: Math.min(count, from + 500), flush });
  }
}

/** The bytes the SDK's keys take in localStorage (key and value, as the SDK counts them). */
function sdkBytes(page) {
  return page.evaluate(() => Object.keys(localStorage).filter((key) => key.startsWith('uptake:'))
    .reduce((bytes, key) => bytes + new TextEncoder().encode(key + localStorage.getItem(key)).length, 0));
}

/**
 * The drops reported by the page's batches the collector stored (`context.uptake.dropped`):
 * each drop is reported until a batch carrying it is stored, then counted afresh.
 */
function reportedDrops(page) {
  const reports = [];
  page.on('response', (response) => {
    const request = response.request();
    if (!request.url().includes('/v1/batch') || response.status() !== 200) return;
    const raw = request.postDataBuffer();
    const body = JSON.parse((request.url().includes('gzip=1') ? gunzipSync(raw) : raw).toString('utf8'));
    if (body.context?.uptake?.dropped) reports.push(body.context.uptake.dropped);
  });
  return reports;
}

function storedCount(name) {
  return shared.collector.query(`SELECT count(*) FROM events WHERE event = '${name}'`)[0][0];
}

test('on a localStorage filled to within a few KB, 10,000 events leave the host the room it had', { timeout: 300_000 }, async (t) => {
  const context = await shared.browser.newContext();
  await context.addInitScript(blockIndexedDb, { fill: true });
  const page = await openHost(context, '/full-host.html');
  const room = await page.evaluate(() => window.hostRoom);
  assert.ok(room > 0 && room < 4096, `the host left itself ${room} bytes`);
  await trackMany(page, 'share.full', EVENTS, { flush: true });
  const stored = await eventually(async () => {
    await page.evaluate(() => window.uptake.flush());
    return storedCount('share.full') >= EVENTS ? storedCount('share.full') : null;
  }, { timeout: 120_000, interval: 500 });
  assert.equal(stored, EVENTS, 'kept in memory and sent');
  const hostWrite = await page.evaluate((room) => {
    try {
      localStorage.setItem('host-room', 'x'.repeat(room));
      return 'written';
    } catch (error) {
      return error.name;
    }
  }, room);
  t.diagnostic(`the host had room for ${room} bytes before the SDK started: ${hostWrite} after`);
  assert.equal(hostWrite, 'written', `the host can still write ${room} bytes`);
  assert.deepEqual(page.quotaErrors, []);
  assert.deepEqual(page.uncaughtErrors, []);
  await context.close();
});

test('the SDK\'s keys take at most 1 MiB; events beyond are dropped oldest first, counted and reported', { timeout: 300_000 }, async (t) => {
  const context = await shared.browser.newContext();
  await context.addInitScript(blockIndexedDb, { fill: false });
  const page = await openHost(context, '/roomy-host.html');
  await page.evaluate(() => window.uptake.flush());
  await page.route('**/v1/batch*', (route) => route.abort());
  await trackMany(page, 'share.offline', EVENTS);
  // Once every write has reached storage (a flush waits for it; its batch fails).
  await page.evaluate(() => window.uptake.flush());
  const bytes = await sdkBytes(page);
  assert.ok(bytes <= 1 << 20, `the SDK's keys take ${bytes} bytes`);
  const reports = reportedDrops(page);
  await page.unroute('**/v1/batch*');
  const dropped = () => reports.reduce((sum, drops) => sum + drops.overflow, 0);
  await eventually(async () => {
    await page.evaluate(() => window.uptake.flush());
    return storedCount('share.offline') + dropped() >= EVENTS;
  }, { timeout: 60_000, interval: 500 });
  const reported = dropped();
  const stored = storedCount('share.offline');
  t.diagnostic(`the SDK's keys took ${bytes} bytes; ${stored} events stored, ${reported} dropped and reported by ${reports.length} stored batches`);
  assert.ok(reported > 0, 'the drops are reported');
  assert.equal(stored + reported, EVENTS, `stored ${stored} and dropped ${reported}: every event accounted for`);
  const kept = shared.collector.query(`SELECT min(json_extract(body, '$.properties.sequence')) FROM events WHERE event = 'share.offline'`)[0][0];
  assert.equal(kept, EVENTS - stored, 'the oldest were dropped');
  assert.deepEqual(page.quotaErrors, []);
  assert.deepEqual(page.uncaughtErrors, []);
  await context.close();
});
