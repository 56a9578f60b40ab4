// The SDKs the benchmark compares, each as the tags a page needs: its script (Uptake's
// one-tag loader, or a peer's npm package bundled from bench/peers/), how it says it is ready,
// how it tracks, and for tours how to tell that the first step is on screen.

import { readFile } from 'node:fs/promises';
import { compileConfig } from '../scripts/compile-config.mjs';

/**
 * Runs before any SDK tag: `benchMark(name)` records the time of a mark once, in
 * `window[name]`, and announces it on the console; `benchOnAssign(name, onSet)` watches
 * assignments to a global. Marks when a peer's adapter (`window.benchSdk`) is ready.
 */
export const PAGE_SCRIPTS = `<script>
window.benchMark = function (name) {
  if (window[name] !== undefined) return;
  window[name] = performance.now();
  console.log('bench:' + name);
};
window.benchOnAssign = function (name, onSet) {
  var value;
  Object.defineProperty(window, name, {
    configurable: true,
    get: function () { return value; },
    set: function (next) { value = next; onSet(next); },
  });
};
benchOnAssign('benchSdk', function (sdk) {
  if (sdk && sdk.ready) sdk.ready.then(function () { benchMark('benchReadyAt'); });
});
</script>`;

/**
 * Runs `navigate` (a page load) and waits until the page announces `mark` (see PAGE_SCRIPTS);
 * returns its time in ms from the page's first script. It listens to the console instead of
 * polling the page: Playwright's polling evaluates its own 12 ms script on the page's main
 * thread, which then lands in the middle of the SDK's start.
 */
export async function untilMark(page, mark, navigate) {
  const announced = page.waitForEvent('console', { predicate: (message) => message.text() === `bench:${mark}`, timeout: 20_000 });
  await Promise.all([announced, navigate()]);
  return page.evaluate((name) => window[name] - window.benchStart, mark);
}

/** Opens `url` in `page` and waits until the page announces `mark`. */
export function openUntil(page, url, mark) {
  return untilMark(page, mark, () => page.goto(url, { waitUntil: 'commit' }));
}

/**
 * On tour pages, after `window.benchStepVisible` is defined: marks when it first holds,
 * checked on every DOM change and every frame until then; and keeps the durations of the page's
 * long tasks (over 50 ms) in `window.benchLongTasks`.
 */
const STEP_WATCH = `<script>
window.benchLongTasks = [];
new PerformanceObserver(function (list) {
  list.getEntries().forEach(function (entry) { window.benchLongTasks.push(entry.duration); });
}).observe({ type: 'longtask', buffered: true });
(function () {
  function check() {
    if (window.benchFirstStepAt === undefined && window.benchStepVisible()) benchMark('benchFirstStepAt');
  }
  new MutationObserver(check).observe(document, { childList: true, subtree: true, attributes: true });
  (function frame() {
    check();
    if (window.benchFirstStepAt === undefined) requestAnimationFrame(frame);
  })();
})();
</script>`;

/** Uptake's API replaces the loader's queue in `window.uptake` once the SDK is ready. */
const UPTAKE_READY = `<script>
benchOnAssign('uptake', function (next) {
  if (next && !Array.isArray(next)) benchMark('benchReadyAt');
});
window.benchSdk = { track: function (event, properties) { window.uptake.track(event, properties); } };
</script>`;

const UPTAKE_TAG = '<script async src="/pkg/uptake.js" data-write-key="bench" data-auto-page="false"></script>';

/**
 * The optional hint of "Install in a web app": the page asks for the wasm while it fetches the
 * loader, instead of after the loader has run.
 */
const UPTAKE_PRELOAD = '<link rel="preload" href="/pkg/uptake_wasm_bg.wasm" as="fetch" crossorigin>';

/** Whether an element (or one in an open shadow root) matching `selector` has a size. */
const visible = (selector, shadowHost) => `<script>
window.benchStepVisible = function () {
  var roots = ${shadowHost ? `Array.prototype.map.call(document.querySelectorAll('${shadowHost}'), function (host) { return host.shadowRoot; })` : '[document]'};
  return roots.some(function (root) {
    var element = root && root.querySelector('${selector}');
    if (!element) return false;
    var box = element.getBoundingClientRect();
    return box.width > 0 && box.height > 0;
  });
};
</script>${STEP_WATCH}`;

/** Uptake's page tags: for its start, and for a tour started from the loader's queue. */
const UPTAKE_HEAD = `${UPTAKE_READY}${UPTAKE_TAG}`;
const UPTAKE_TOUR_HEAD = `<script>window.uptake = [['startTour', 'bench-tour']];</script>${visible('[role="dialog"]', 'uptake-root')}${UPTAKE_TAG}`;

const peerTag = (entry) => `<script async src="/dist/${entry}"></script>`;
const peerStyle = (entry) => `<link rel="stylesheet" href="/dist/${entry.replace(/\.js$/, '.css')}">`;

/** The event SDKs: Uptake first (once more with the preload hint, for its start and first tour step), then the peers. */
export const SDKS = [
  {
    id: 'uptake',
    name: 'Uptake',
    kind: 'events, rules, tours, prompts, checklists, surveys',
    events: true,
    head: UPTAKE_HEAD,
    tourHead: UPTAKE_TOUR_HEAD,
  },
  {
    id: 'uptake-preload',
    name: 'Uptake, with the preload hint',
    kind: 'the same SDK, its wasm preloaded',
    head: `${UPTAKE_PRELOAD}${UPTAKE_HEAD}`,
    tourHead: `${UPTAKE_PRELOAD}${UPTAKE_TOUR_HEAD}`,
  },
  { id: 'posthog', name: 'posthog-js', kind: 'events', events: true, entry: 'posthog.js', head: peerTag('posthog.js') },
  { id: 'segment', name: '@segment/analytics-next', kind: 'events', events: true, entry: 'segment.js', head: peerTag('segment.js') },
  {
    id: 'rudderstack',
    name: '@rudderstack/analytics-js',
    kind: 'events',
    events: true,
    entry: 'rudderstack.js',
    head: peerTag('rudderstack.js'),
  },
  { id: 'snowplow', name: '@snowplow/browser-tracker', kind: 'events', events: true, entry: 'snowplow.js', head: peerTag('snowplow.js') },
];

/** The tour libraries, each showing a 5-step tour as soon as it loads. */
export const TOUR_LIBRARIES = [
  {
    id: 'shepherd',
    name: 'shepherd.js',
    kind: 'tours',
    entry: 'shepherd.js',
    tourHead: `${visible('.shepherd-element')}${peerStyle('shepherd.js')}${peerTag('shepherd.js')}`,
  },
  {
    id: 'driver',
    name: 'driver.js',
    kind: 'tours',
    entry: 'driver.js',
    tourHead: `${visible('.driver-popover')}${peerStyle('driver.js')}${peerTag('driver.js')}`,
  },
];

/**
 * The demo app's config with a 5-step tour anchored to the bench page's sections added, compiled
 * as the collector serves it (JSON text).
 */
export async function tourConfig(file) {
  const config = JSON.parse(await readFile(file, 'utf8'));
  config.tours.push({
    id: 'bench-tour',
    steps: [1, 2, 3, 4, 5].map((step) => ({
      target: `#step-${step}`,
      placement: 'bottom',
      title: { en: `Step ${step}` },
      body: { en: `This is step ${step} of the tour.` },
    })),
  });
  return compileConfig(config);
}
