// The outbox on the device, in headless Chromium against the real collector: every event is
// written ahead to IndexedDB when it is tracked, before any send, and deleted once stored; the
// tabs of the app share it, one sending at a time, and a closed tab strands nothing; where
// IndexedDB or all storage is blocked the SDK falls back to localStorage or memory and says so
// once, as a console warning and a `storage_fallback` event.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  collectorAndBrowser, eventually, launchBrowser, newPage, openFixture, sdkReady, waitingInIndexedDb,
} from './harness.mjs';

const shared = collectorAndBrowser();

/** A page with nothing but the SDK's script tag. */
const BLANK_PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Blank</title>
<script async src="/uptake/uptake.js" data-write-key="dev"></script></head><body><p>Blank</p></body></html>`;

/** Events of `name` the collector stored, as their `sequence` properties, sorted. */
function storedSequences(name) {
  return shared.collector
    .query(`SELECT json_extract(body, '$.properties.sequence') FROM events WHERE event = '${name}'`)
    .map(([sequence]) => sequence)
    .sort((a, b) => a - b);
}

/** Waits until at least `count` events of `name` are stored; their sequences, or null. */
function storedAtLeast(name, count, options) {
  return eventually(() => {
    const sequences = storedSequences(name);
    return sequences.length >= count ? sequences : null;
  }, options);
}

/** Events waiting in the page's localStorage outbox, one key each. */
function waitingInLocalStorage(page) {
  return page.evaluate(() => Object.keys(localStorage).filter((key) => key.startsWith('uptake:dev:event:')).length);
}

function range(from, to) {
  return Array.from({ length: to - from }, (_, index) => from + index);
}

/** Batches each page POSTs, counted per page. */
function countBatches(page) {
  const counter = { batches: 0 };
  page.on('request', (request) => {
    if (request.url().includes('/v1/batch')) counter.batches += 1;
  });
  return counter;
}

/**
 * Crashes the tab's renderer: no `pagehide`, no last request, nothing but what was written to
 * storage survives it.
 */
async function crash(page) {
  const session = await page.context().newCDPSession(page);
  const crashed = page.waitForEvent('crash');
  session.send('Page.crash').catch(() => {});
  await crashed;
}

async function openTab(context, path = '/automations.html') {
  const page = await newPage(context);
  await page.goto(`${shared.collector.url}${path}`);
  await sdkReady(page);
  return page;
}

test('an event is written ahead to IndexedDB when tracked, survives a crash of the tab, and is deleted once stored', async () => {
  const { context, page } = await shared.openDemo('/automations.html');
  await page.evaluate(() => window.uptake.flush());
  // Nothing reaches the collector from this page.
  await page.route('**/v1/batch*', (route) => route.abort());
  await page.evaluate(() => {
    for (let i = 0; i < 20; i += 1) window.uptake.track('outbox.ahead', { sequence: i });
  });
  assert.equal(await eventually(async () => (await waitingInIndexedDb(page, 'outbox.ahead')) === 20 || null), true,
    'the 20 events are in IndexedDB before any of them was sent');
  await crash(page);
  assert.deepEqual(storedSequences('outbox.ahead'), [], 'the tab crashed without delivering them');

  const next = await openTab(context);
  await next.evaluate(() => window.uptake.flush());
  const stored = await storedAtLeast('outbox.ahead', 20);
  assert.deepEqual(stored, range(0, 20), 'the next page sent them, each once');
  assert.equal(await eventually(async () => (await waitingInIndexedDb(next, 'outbox.ahead')) === 0 || null), true,
    'deleted from IndexedDB once stored');
  assert.deepEqual(next.uncaughtErrors, []);
  await context.close();
});

test('two tabs share the outbox: one sends both tabs\' events, and when it crashes the other sends what it left', async () => {
  const context = await shared.browser.newContext();
  const first = await openTab(context);
  await first.evaluate(() => window.uptake.flush());
  const second = await openTab(context, '/index.html');
  await second.evaluate(() => window.uptake.flush());
  const counts = new Map([[first, countBatches(first)], [second, countBatches(second)]]);
  await first.evaluate(() => {
    for (let i = 0; i < 30; i += 1) window.uptake.track('outbox.shared', { sequence: i });
  });
  await second.evaluate(() => {
    for (let i = 30; i < 60; i += 1) window.uptake.track('outbox.shared', { sequence: i });
  });
  // A flush in the tab that does not send asks the one that does.
  await Promise.all([first, second].map((tab) => tab.evaluate(() => window.uptake.flush())));
  const stored = await storedAtLeast('outbox.shared', 60);
  assert.deepEqual(stored, range(0, 60), 'every event of both tabs, once');
  const { sender, follower } = senderAndFollower(counts);
  assert.equal(counts.get(follower).batches, 0, 'the other tab sends nothing while the sender is open');

  // The sending tab cannot deliver, then crashes: its events wait in IndexedDB for the other.
  await sender.route('**/v1/batch*', (route) => route.abort());
  await sender.evaluate(() => {
    for (let i = 0; i < 10; i += 1) window.uptake.track('outbox.handed_over', { sequence: i });
  });
  await eventually(async () => (await waitingInIndexedDb(sender, 'outbox.handed_over')) === 10 || null);
  await crash(sender);
  await follower.evaluate(() => window.uptake.flush());
  const handedOver = await storedAtLeast('outbox.handed_over', 10);
  assert.deepEqual(handedOver, range(0, 10), 'the remaining tab sent the crashed tab\'s events, each once');
  assert.ok(counts.get(follower).batches >= 1, 'the remaining tab sends now');
  assert.deepEqual(follower.uncaughtErrors, []);
  await context.close();
});

/**
 * The tab that sent batches and the one that sent none, from two tabs' counters: which of them
 * is elected depends on which opened its storage first, so the test asks rather than assumes.
 */
function senderAndFollower(counts) {
  const [[one, oneCount], [other, otherCount]] = [...counts];
  assert.ok(oneCount.batches + otherCount.batches >= 1, 'one of the tabs sends');
  assert.ok(oneCount.batches === 0 || otherCount.batches === 0,
    `one tab sends at a time (batches: ${oneCount.batches} and ${otherCount.batches})`);
  return oneCount.batches > 0 ? { sender: one, follower: other } : { sender: other, follower: one };
}

test('without Web Locks, a lease in localStorage elects the sending tab, and it passes on when that tab crashes', async () => {
  const context = await shared.browser.newContext();
  await context.addInitScript(() => {
    Object.defineProperty(Navigator.prototype, 'locks', { get: () => undefined, configurable: true });
  });
  const first = await openTab(context);
  const second = await openTab(context, '/index.html');
  assert.equal(await first.evaluate(() => navigator.locks), undefined);
  const counts = new Map([[first, countBatches(first)], [second, countBatches(second)]]);
  await first.evaluate(() => {
    for (let i = 0; i < 10; i += 1) window.uptake.track('outbox.leased', { sequence: i });
    return window.uptake.flush();
  });
  await second.evaluate(() => {
    for (let i = 10; i < 20; i += 1) window.uptake.track('outbox.leased', { sequence: i });
    return window.uptake.flush();
  });
  const stored = await storedAtLeast('outbox.leased', 20);
  assert.deepEqual(stored, range(0, 20));
  const { sender } = senderAndFollower(counts);

  await sender.route('**/v1/batch*', (route) => route.abort());
  await sender.evaluate(() => {
    for (let i = 0; i < 5; i += 1) window.uptake.track('outbox.lease_handed_over', { sequence: i });
  });
  await eventually(async () => (await waitingInIndexedDb(sender, 'outbox.lease_handed_over')) === 5 || null);
  await crash(sender);
  // The lease runs out within 6 s; the other tab takes it and sends what the crashed one left.
  const handedOver = await storedAtLeast('outbox.lease_handed_over', 5, { timeout: 20_000 });
  assert.deepEqual(handedOver, range(0, 5));
  await context.close();
});

/** Console warnings of the SDK on `page`. */
function sdkWarnings(page) {
  const warnings = [];
  page.on('console', (message) => {
    if (message.type() === 'warning' && message.text().startsWith('[uptake]')) warnings.push(message.text());
  });
  return warnings;
}

function storageFallbacks() {
  return shared.collector
    .query(`SELECT json_extract(body, '$.properties') FROM events WHERE event = 'storage_fallback'`)
    .map(([properties]) => JSON.parse(properties));
}

test('with IndexedDB blocked, events wait in localStorage, and the fallback is reported once', async () => {
  const context = await shared.browser.newContext();
  await context.addInitScript(() => {
    Object.defineProperty(window, 'indexedDB', {
      get() { throw new DOMException('IndexedDB is off in this test', 'SecurityError'); },
    });
  });
  const before = storageFallbacks().length;
  const page = await newPage(context);
  const warnings = sdkWarnings(page);
  await page.goto(`${shared.collector.url}/automations.html`);
  await sdkReady(page);
  await page.route('**/v1/batch*', (route) => route.abort());
  await page.evaluate(() => {
    for (let i = 0; i < 8; i += 1) window.uptake.track('outbox.local', { sequence: i });
  });
  assert.ok(await eventually(async () => (await waitingInLocalStorage(page)) >= 8), 'written ahead to localStorage, one key per event');
  await page.unroute('**/v1/batch*');
  await page.reload();
  await sdkReady(page);
  await page.evaluate(() => window.uptake.flush());
  const stored = await storedAtLeast('outbox.local', 8);
  assert.deepEqual(stored, range(0, 8), 'sent after the reload, each once');
  assert.equal(await eventually(async () => (await waitingInLocalStorage(page)) === 0 || null), true, 'deleted once stored');
  const fallbacks = await eventually(() => (storageFallbacks().length >= before + 2 ? storageFallbacks().slice(before) : null));
  assert.deepEqual(fallbacks.map(({ from, to }) => `${from}>${to}`), ['indexedDB>localStorage', 'indexedDB>localStorage'],
    'once per page load');
  assert.match(fallbacks[0].reason, /SecurityError/);
  assert.equal(warnings.filter((text) => text.includes('indexedDB cannot keep events')).length, 2, warnings.join('\n'));
  assert.deepEqual(page.uncaughtErrors, []);
  await context.close();
});

test('events a page left in localStorage when IndexedDB failed it are sent by the next page that has IndexedDB', async () => {
  const context = await shared.browser.newContext();
  const blocked = await newPage(context);
  await blocked.addInitScript(() => {
    Object.defineProperty(window, 'indexedDB', {
      get() { throw new DOMException('IndexedDB is off in this page', 'SecurityError'); },
    });
  });
  await blocked.goto(`${shared.collector.url}/automations.html`);
  await sdkReady(blocked);
  await blocked.evaluate(() => window.uptake.flush());
  await blocked.route('**/v1/batch*', (route) => route.abort());
  await blocked.evaluate(() => {
    for (let i = 0; i < 6; i += 1) window.uptake.track('outbox.left_in_local', { sequence: i });
  });
  assert.ok(await eventually(async () => (await waitingInLocalStorage(blocked)) >= 6));
  await crash(blocked);

  const next = await openTab(context);
  await next.evaluate(() => window.uptake.flush());
  const stored = await storedAtLeast('outbox.left_in_local', 6);
  assert.deepEqual(stored, range(0, 6), 'moved to IndexedDB and sent, each once');
  assert.equal(await eventually(async () => (await waitingInLocalStorage(next)) === 0 || null), true, 'nothing left in localStorage');
  await context.close();
});

test('with all storage blocked, events are kept in memory and sent, and both fallbacks are reported', async () => {
  const context = await shared.browser.newContext();
  await context.addInitScript(() => {
    for (const name of ['indexedDB', 'localStorage']) {
      Object.defineProperty(window, name, {
        get() { throw new DOMException(`${name} is off in this test`, 'SecurityError'); },
      });
    }
  });
  const before = storageFallbacks().length;
  const page = await newPage(context);
  const warnings = sdkWarnings(page);
  // A page of its own: the demo app uses localStorage itself.
  await openFixture(page, shared.collector.url, '/no-storage.html', BLANK_PAGE);
  await sdkReady(page);
  await page.evaluate(() => {
    for (let i = 0; i < 5; i += 1) window.uptake.track('outbox.memory', { sequence: i });
    return window.uptake.flush();
  });
  const stored = await storedAtLeast('outbox.memory', 5);
  assert.deepEqual(stored, range(0, 5));
  const fallbacks = storageFallbacks().slice(before);
  assert.deepEqual(fallbacks.map(({ from, to }) => `${from}>${to}`), ['indexedDB>localStorage', 'localStorage>memory']);
  assert.equal(warnings.filter((text) => text.includes('cannot keep events')).length, 2, warnings.join('\n'));
  assert.deepEqual(page.uncaughtErrors, []);
  await context.close();
});

test('a page of the app left for another one stays in the back-forward cache, and takes part again when restored', async () => {
  const browser = await launchBrowser({ backForwardCache: true });
  try {
    const page = await newPage(await browser.newContext());
    await page.goto(`${shared.collector.url}/automations.html`);
    await sdkReady(page);
    await page.evaluate(() => window.uptake.flush());
    await page.evaluate(() => { window.leftAt = Date.now(); });
    // The next page runs the SDK too, and wants the role this page held.
    await page.goto(`${shared.collector.url}/index.html`);
    await sdkReady(page);
    await page.evaluate(() => window.uptake.flush());
    await page.goBack({ waitUntil: 'commit' });
    await page.waitForFunction(() => document.readyState === 'complete');
    const restored = await page.evaluate(() => ({
      sameDocument: typeof window.leftAt === 'number',
      reasons: performance.getEntriesByType('navigation')[0].notRestoredReasons,
    }));
    assert.deepEqual(restored, { sameDocument: true, reasons: null }, 'restored from the back-forward cache');
    await page.evaluate(() => {
      for (let i = 0; i < 3; i += 1) window.uptake.track('outbox.restored', { sequence: i });
      return window.uptake.flush();
    });
    const stored = await storedAtLeast('outbox.restored', 3);
    assert.deepEqual(stored, range(0, 3), 'the restored page sends again');
    assert.deepEqual(page.uncaughtErrors, []);
  } finally {
    await browser.close();
  }
});
