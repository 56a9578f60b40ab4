// What the SDK does with the collector's answers, in the browser against the real collector:
// a 503 with Retry-After is retried no sooner than it says and the events arrive once; a
// 400 naming one event drops only that one and counts it in the next batch's context; a batch
// above 16 KB goes out gzip-compressed; offline nothing is sent, and back online the queue goes
// out. The failing answers are made by intercepting the page's
// requests before they leave; the rest reach the collector.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { collectorAndBrowser, eventually, storedEvents } from './harness.mjs';

const shared = collectorAndBrowser();


test('a 503 with Retry-After is retried after it, and every event arrives once', async () => {
  const { context, page } = await shared.openDemo('/automations.html');
  const attempts = [];
  await page.route('**/v1/batch', async (route) => {
    attempts.push(Date.now());
    if (attempts.length === 1) {
      await route.fulfill({ status: 503, headers: { 'retry-after': '2', 'access-control-allow-origin': '*' },
        contentType: 'application/json', body: '{"error": "busy"}' });
    } else {
      await route.continue();
    }
  });
  await page.evaluate(() => {
    for (let i = 0; i < 5; i += 1) window.uptake.track('delivery.retried', { sequence: i });
  });
  await page.evaluate(() => window.uptake.flush());
  assert.equal(attempts.length, 1, 'the flush stopped at the failure');
  const anonymousId = await page.evaluate(() => window.uptake.anonymousId());
  const stored = await eventually(() => {
    const events = storedEvents(shared.collector, anonymousId).filter(([name]) => name === 'delivery.retried');
    return events.length === 5 ? events : null;
  });
  assert.deepEqual(stored.map(([, properties]) => properties.sequence).sort(), [0, 1, 2, 3, 4]);
  assert.ok(attempts[1] - attempts[0] >= 2_000, `retried ${attempts[1] - attempts[0]} ms later`);
  assert.deepEqual(page.uncaughtErrors, []);
  await context.close();
});

test('a 400 naming one event drops only it and the next batch reports the drop', async () => {
  const { context, page } = await shared.openDemo('/automations.html');
  const bodies = [];
  let refused = false;
  await page.route('**/v1/batch', async (route) => {
    const body = JSON.parse(route.request().postData());
    bodies.push(body);
    const index = body.batch.findIndex((event) => event.properties?.poison);
    if (!refused && index >= 0) {
      refused = true;
      await route.fulfill({ status: 400, headers: { 'access-control-allow-origin': '*' }, contentType: 'application/json',
        body: JSON.stringify({ error: 'none can be stored', invalid: [{ index, kind: 'invalid', error: 'bad' }] }) });
    } else {
      await route.continue();
    }
  });
  await page.evaluate(async () => {
    await window.uptake.flush();
    window.uptake.track('delivery.kept', { n: 1 });
    window.uptake.track('delivery.refused', { poison: true });
    window.uptake.track('delivery.kept', { n: 2 });
    await window.uptake.flush();
    window.uptake.track('delivery.after', {});
    await window.uptake.flush();
  });
  const anonymousId = await page.evaluate(() => window.uptake.anonymousId());
  const names = storedEvents(shared.collector, anonymousId).map(([name]) => name).filter((name) => name.startsWith('delivery.'));
  assert.deepEqual(names.sort(), ['delivery.after', 'delivery.kept', 'delivery.kept']);
  const refusedAt = bodies.findIndex((body) => body.batch.some((event) => event.properties?.poison));
  const next = bodies[refusedAt + 1];
  assert.deepEqual(next.batch.map((event) => event.event), ['delivery.kept', 'delivery.kept'], 'the others, sent again at once');
  assert.equal(next.context?.uptake?.dropped?.invalid, 1, 'the next batch reports the drop');
  assert.equal(bodies.at(-1).context, undefined, 'reported until a batch carrying it is stored');
  await context.close();
});

test('a batch above 16 KB goes out gzip-compressed and is stored', async () => {
  const { context, page } = await shared.openDemo('/automations.html');
  const sent = [];
  await page.route('**/v1/batch*', async (route) => {
    const request = route.request();
    sent.push({ url: request.url(), bytes: request.postDataBuffer(), type: request.headers()['content-type'] });
    await route.continue();
  });
  await page.evaluate(async () => {
    await window.uptake.flush();
    for (let i = 0; i < 40; i += 1) window.uptake.track('delivery.large', { sequence: i, notes: 'n'.repeat(600) });
    await window.uptake.flush();
  });
  const large = sent.filter((request) => request.url.endsWith('?gzip=1'));
  assert.equal(large.length, 1, JSON.stringify(sent.map((request) => [request.url, request.bytes.length])));
  assert.deepEqual([...large[0].bytes.subarray(0, 2)], [0x1f, 0x8b], 'gzip magic');
  assert.ok(large[0].bytes.length < 16 * 1024, `${large[0].bytes.length} bytes on the wire`);
  assert.equal(large[0].type, undefined, 'no content type: a simple request, no preflight');
  const anonymousId = await page.evaluate(() => window.uptake.anonymousId());
  const stored = storedEvents(shared.collector, anonymousId).filter(([name]) => name === 'delivery.large');
  assert.equal(stored.length, 40);
  await context.close();
});

test('offline nothing is sent; back online the queue goes out, each event once', async () => {
  const { context, page } = await shared.openDemo('/automations.html');
  await page.evaluate(() => window.uptake.flush());
  const attempts = [];
  await page.route('**/v1/batch*', async (route) => {
    attempts.push(Date.now());
    await route.continue();
  });
  await context.setOffline(true);
  await page.waitForFunction(() => !navigator.onLine);
  await page.evaluate(() => {
    for (let i = 0; i < 5; i += 1) window.uptake.track('delivery.offline', { sequence: i });
  });
  // Past the 5 s a batch waits for: offline, the timer sends nothing.
  await page.waitForTimeout(6_500);
  assert.equal(attempts.length, 0, 'no request while offline');
  const anonymousId = await page.evaluate(() => window.uptake.anonymousId());
  const arrived = () => storedEvents(shared.collector, anonymousId).filter(([name]) => name === 'delivery.offline');
  assert.equal(arrived().length, 0);
  const online = Date.now();
  await context.setOffline(false);
  const stored = await eventually(() => {
    const events = arrived();
    return events.length === 5 ? events : null;
  });
  assert.ok(stored, 'the queue went out once the network was back');
  assert.ok(attempts.length >= 1 && attempts[0] - online < 2_000, `sent ${attempts[0] - online} ms after coming back online (${attempts.length} requests)`);
  assert.deepEqual(stored.map(([, properties]) => properties.sequence).sort(), [0, 1, 2, 3, 4]);
  await context.close();
});
