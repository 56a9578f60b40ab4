// A request that never gets an answer, in headless Chromium against the real collector behind a
// proxy: the collector's connection is accepted and never answered, or the batch is stored and
// its answer lost. Each request is given up at its deadline and retried, delivery resumes, and
// every event is stored once.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, launchBrowser, newPage, sdkReady, startCollector, startProxy } from './harness.mjs';

let collector;
let proxy;
let browser;
after(async () => {
  await browser?.close();
  await proxy?.close();
  await collector?.stop();
});

/** How many times each `hung.event` was stored, by sequence. */
function storedTimes() {
  return new Map(collector.query(`SELECT json_extract(body, '$.properties.sequence'), count(*) FROM events
    WHERE event = 'hung.event' GROUP BY 1`));
}

function track(page, from, to) {
  return page.evaluate(({ from, to }) => {
    for (let sequence = from; sequence < to; sequence += 1) window.uptake.track('hung.event', { sequence });
    // Not awaited: the answer may never come.
    window.uptake.flush();
  }, { from, to });
}

/** Waits until the events `0..count` are stored, then says how often each was. */
async function delivered(count) {
  await eventually(() => storedTimes().size >= count || null, { timeout: 60_000, interval: 250 });
  const times = storedTimes();
  return {
    missing: Array.from({ length: count }, (_, sequence) => sequence).filter((sequence) => !times.has(sequence)),
    twice: [...times].filter(([, stored]) => stored > 1).map(([sequence]) => sequence),
  };
}

test('a request never answered is given up at its deadline and retried: delivery resumes, each event stored once',
  { timeout: 180_000 }, async (t) => {
    collector = await startCollector();
    proxy = await startProxy(new URL(collector.url).port);
    browser = await launchBrowser();
    const page = await newPage(await browser.newContext());
    await page.goto(`${proxy.url}/automations.html`);
    await sdkReady(page);
    await page.evaluate(() => window.uptake.flush());

    // The collector's connection is accepted and never answered.
    proxy.mode = 'hang';
    const hungAt = Date.now();
    await track(page, 0, 5);
    await eventually(() => proxy.batches.hung >= 1 || null);
    await track(page, 5, 10);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    proxy.mode = 'pass';
    const afterHang = await delivered(10);
    const resumedAfter = Date.now() - hungAt;
    assert.deepEqual(afterHang, { missing: [], twice: [] });

    // The collector stores the batch, and its answer never comes: the retry is a copy it drops.
    proxy.mode = 'swallow';
    await track(page, 10, 15);
    await eventually(() => proxy.batches.swallowed >= 1 || null);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    proxy.mode = 'pass';
    const afterSwallow = await delivered(15);
    assert.deepEqual(afterSwallow, { missing: [], twice: [] });
    t.diagnostic(`delivery resumed ${resumedAfter} ms after the hang began; faults met: ${JSON.stringify(proxy.batches)}`);
    assert.ok(resumedAfter < 40_000, `resumed within the deadline and a retry (${resumedAfter} ms)`);
    assert.deepEqual(page.uncaughtErrors, []);
  });
