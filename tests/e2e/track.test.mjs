// `track()` on the host's hot path only notes the call (name, a JSON snapshot of the
// properties, the time) and the SDK takes the calls in a task of its own. These tests prove that
// nothing about an event changes for that: its properties are what they were at the call, its
// time is the call's, every other call sees it, a route change right after it comes after it,
// and a page hidden in the same task still sends it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { collectorAndBrowser, eventually } from './harness.mjs';

const shared = collectorAndBrowser();

test('a tracked event keeps the properties and the time of the call, and the next call sees it', async () => {
  const { context, page } = await shared.openDemo('/automations.html');
  await page.waitForFunction(() => window.uptake.adoption() !== null); // the config has loaded
  const call = await page.evaluate(() => {
    const properties = { invoice_id: 'INV-1', step: 1 };
    const usedBefore = window.uptake.featureUsage('invoices.approve')?.count ?? 0;
    const before = Date.now();
    window.uptake.track('invoice.approved', properties);
    const after = Date.now();
    // The host changes its object, and keeps the main thread a while, before the SDK's task.
    properties.step = 2;
    properties.added = true;
    while (Date.now() < after + 100);
    return { before, after, usedBefore, usedAfter: window.uptake.featureUsage('invoices.approve').count };
  });
  assert.equal(call.usedAfter, call.usedBefore + 1, 'featureUsage right after track() counts it');
  await page.evaluate(() => window.uptake.flush());
  const anonymousId = await page.evaluate(() => window.uptake.anonymousId());
  const rows = shared.collector.query(`SELECT timestamp_ms, json_extract(body, '$.properties') FROM events
    WHERE anonymous_id = '${anonymousId}' AND event = 'invoice.approved'`);
  assert.equal(rows.length, 1);
  const [timestamp, properties] = rows[0];
  assert.deepEqual(JSON.parse(properties), { invoice_id: 'INV-1', step: 1 }, 'the properties as they were at the call');
  assert.ok(timestamp >= call.before && timestamp <= call.after, `stamped ${timestamp - call.after} ms after the call`);
  assert.deepEqual(page.uncaughtErrors, []);
  await context.close();
});

test('events tracked in the task that hides the page go out with it', async () => {
  const { context, page } = await shared.openDemo('/automations.html');
  await page.evaluate(() => window.uptake.flush());
  const leaving = await page.evaluate(async () => {
    // The requests the SDK makes, as it makes them.
    const requests = [];
    const fetch = window.fetch;
    window.fetch = function (url, init) {
      requests.push({ keepalive: Boolean(init && init.keepalive), body: init && init.body });
      return fetch.apply(this, arguments);
    };
    for (let i = 0; i < 3; i += 1) window.uptake.track('queue.leaving', { i });
    // The page is left in this same task, before the SDK's own task could take the calls in.
    window.dispatchEvent(new PageTransitionEvent('pagehide', { persisted: false }));
    await new Promise((resolve) => setTimeout(resolve, 100));
    window.fetch = fetch;
    return requests
      .filter((request) => request.keepalive && typeof request.body === 'string')
      .flatMap((request) => JSON.parse(request.body).batch)
      .filter((event) => event.event === 'queue.leaving')
      .map((event) => event.properties.i);
  });
  assert.deepEqual(leaving, [0, 1, 2], 'sent by the page-hide request, in order');
  assert.deepEqual(page.uncaughtErrors, []);
  await context.close();
});

test('a track() and a route change in the same task: the event comes first, with the page it was made on', async () => {
  const { context, page } = await shared.openDemo('/automations.html');
  await page.evaluate(() => window.uptake.flush());
  await page.evaluate(() => {
    window.uptake.track('queue.before_route', {});
    history.pushState({}, '', '/automations.html?view=next');
  });
  await page.evaluate(() => window.uptake.flush());
  const anonymousId = await page.evaluate(() => window.uptake.anonymousId());
  const rows = shared.collector.query(`SELECT COALESCE(event, type), json_extract(body, '$.context.page.url') FROM events
    WHERE anonymous_id = '${anonymousId}' ORDER BY id`);
  const tracked = rows.findIndex(([name]) => name === 'queue.before_route');
  const viewed = rows.findIndex(([name, url]) => name === 'page' && url.endsWith('?view=next'));
  assert.ok(tracked >= 0 && viewed >= 0, JSON.stringify(rows));
  assert.ok(tracked < viewed, 'stored before the page view');
  assert.ok(rows[tracked][1].endsWith('/automations.html'), `made on ${rows[tracked][1]}`);
  assert.deepEqual(page.uncaughtErrors, []);
  await context.close();
});

test('five thousand calls in one task are all taken in and each stored once', async () => {
  const { context, page } = await shared.openDemo('/automations.html');
  await page.evaluate(() => {
    for (let i = 0; i < 5_000; i += 1) window.uptake.track('queue.burst', { i });
  });
  // Taken in and sent by the SDK's own tasks: no other call asks it to.
  const anonymousId = await page.evaluate(() => window.uptake.anonymousId());
  const stored = await eventually(() => {
    const rows = shared.collector.query(`SELECT json_extract(body, '$.properties.i') FROM events
      WHERE anonymous_id = '${anonymousId}' AND event = 'queue.burst'`);
    return rows.length >= 5_000 ? rows.map(([i]) => i) : null;
  }, { timeout: 60_000 });
  assert.equal(stored.length, 5_000);
  assert.equal(new Set(stored).size, 5_000, 'each once');
  assert.ok(stored.every((i) => i >= 0 && i < 5_000));
  assert.deepEqual(page.uncaughtErrors, []);
  await context.close();
});
