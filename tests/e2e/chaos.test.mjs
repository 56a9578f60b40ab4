// Delivery under chaos, in headless Chromium against the real collector: 10,000 events tracked
// across two tabs of one app while the collector is stopped for 20 s and restarted on the same
// port and SQLite file, then answers 503 for a while, the network goes offline and back, and
// one tab reloads with a batch in flight. At the end the database holds each of the 10,000
// events exactly once, and nothing is left waiting on the device.
//
// The tabs talk to the collector through a small HTTP proxy on 127.0.0.1 (`startProxy`), which
// passes everything through, drops the connection while the collector is down (as a stopped
// server does), and can answer 503 itself or hold the collector's answers back.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, launchBrowser, newPage, sdkReady, startCollector, startProxy, waitingInIndexedDb } from './harness.mjs';

const EVENTS_PER_TAB = 5_000;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function track(page, tab, from, to) {
  return page.evaluate(({ tab, from, to }) => {
    for (let sequence = from; sequence < to; sequence += 1) window.uptake.track('chaos.event', { tab, sequence });
  }, { tab, from, to });
}

/** Tracks `from..to` in both tabs in `chunks` steps spread over `ms`. */
async function trackOver(tabs, from, to, chunks, ms) {
  const size = (to - from) / chunks;
  for (let chunk = 0; chunk < chunks; chunk += 1) {
    const start = from + chunk * size;
    await Promise.all(tabs.map(([name, page]) => track(page, name, start, start + size)));
    await sleep(ms / chunks);
  }
}

let collector;
let proxy;
let browser;
after(async () => {
  await browser?.close();
  await proxy?.close();
  await collector?.stop();
});

test('10,000 events across two tabs through a stopped collector, 503s, offline and a reload: each stored once',
  { timeout: 300_000 }, async (t) => {
    collector = await startCollector();
    const { database } = collector;
    const listen = new URL(collector.url).host;
    proxy = await startProxy(new URL(collector.url).port);
    browser = await launchBrowser();
    const context = await browser.newContext();
    const open = async () => {
      const page = await newPage(context);
      await page.goto(`${proxy.url}/automations.html`);
      await sdkReady(page);
      return page;
    };
    const first = await open();
    const second = await open();
    const tabs = [['first', first], ['second', second]];

    // 1. Normal service.
    await trackOver(tabs, 0, 1_000, 4, 2_000);

    // 2. The collector is stopped for 20 s, and restarted on the same port and file.
    await collector.stop();
    const stoppedAt = Date.now();
    await trackOver(tabs, 1_000, 2_500, 6, 15_000);
    await sleep(Math.max(0, 20_000 - (Date.now() - stoppedAt)));
    collector = await startCollector({ database, listen });

    // 3. It answers 503 for 5 s (and more, until a few batches met it: the sender may be
    // backing off after the outage, so the app asks it to flush).
    proxy.mode = 'unavailable';
    await trackOver(tabs, 2_500, 3_500, 4, 5_000);
    await eventually(async () => {
      await Promise.all(tabs.map(([, page]) => page.evaluate(() => window.uptake.flush())));
      return proxy.batches.unavailable >= 3;
    }, { timeout: 20_000, interval: 1_000 });
    proxy.mode = 'pass';

    // 4. The network goes away for 5 s.
    await context.setOffline(true);
    await trackOver(tabs, 3_500, 4_000, 2, 5_000);
    await context.setOffline(false);

    // 5. The first tab reloads while its batches are stored but not yet answered.
    proxy.mode = 'slow';
    await Promise.all(tabs.map(([name, page]) => track(page, name, 4_000, 4_500)));
    await first.evaluate(() => { window.uptake.flush(); });
    await sleep(300);
    await first.reload();
    await sdkReady(first);
    proxy.mode = 'pass';
    await trackOver(tabs, 4_500, EVENTS_PER_TAB, 2, 1_000);

    const count = () => collector.query("SELECT count(*) FROM events WHERE event = 'chaos.event'")[0][0];
    const total = await eventually(async () => {
      await Promise.all([first, second].map((page) => page.evaluate(() => window.uptake.flush())));
      return count() >= 2 * EVENTS_PER_TAB ? count() : null;
    }, { timeout: 180_000, interval: 1_000 });

    const rows = collector.query(`SELECT json_extract(body, '$.properties.tab'), json_extract(body, '$.properties.sequence'),
      count(*) FROM events WHERE event = 'chaos.event' GROUP BY 1, 2`);
    const repeated = rows.filter(([, , times]) => times > 1);
    const missing = ['first', 'second'].flatMap((tab) => {
      const seen = new Set(rows.filter(([name]) => name === tab).map(([, sequence]) => sequence));
      return Array.from({ length: EVENTS_PER_TAB }, (_, sequence) => sequence).filter((sequence) => !seen.has(sequence))
        .map((sequence) => `${tab}#${sequence}`);
    });
    assert.deepEqual({ total, repeated: repeated.length, missing: missing.slice(0, 10) },
      { total: 2 * EVENTS_PER_TAB, repeated: 0, missing: [] }, `${missing.length} missing`);
    t.diagnostic(`batches that met a fault: ${JSON.stringify(proxy.batches)}`);
    assert.ok(proxy.batches.dropped > 0 && proxy.batches.unavailable > 0 && proxy.batches.held > 0,
      `every fault happened: ${JSON.stringify(proxy.batches)}`);
    assert.equal(await eventually(async () => (await waitingInIndexedDb(second, 'chaos.event')) === 0 || null), true,
      'nothing left waiting on the device');
    assert.deepEqual([...first.uncaughtErrors, ...second.uncaughtErrors], []);
    await context.close();
  });
