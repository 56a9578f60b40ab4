/*
 * Uptake loader, for a script tag:
 *   <script>window.uptake=window.uptake||[];uptake.push(['identify','u-42',{role:'admin'}]);</script>
 *   <script async src="/uptake/uptake.js" data-collector="https://collector.example.com" data-write-key="..."></script>
 *
 * Calls made before the SDK is ready are queued in `window.uptake` and replayed in order; if the
 * page goes away before, its queued `track` calls are kept in localStorage for the next page's
 * SDK to send. The collector defaults to the origin this script is served from. Nothing here
 * blocks the page.
 * scripts/build-sdk bundles this file with the ES-module entry and the wasm-bindgen glue, so a
 * page makes two requests for the SDK, this script and the WebAssembly next to it, and starts
 * compiling the WebAssembly as soon as this script runs.
 */
import { load } from './index.js';

(function () {
  'use strict';
  var script = document.currentScript;
  var queue = (window.uptake = window.uptake || []);
  if (!Array.isArray(queue) || queue.uptakeLoading) return;
  queue.uptakeLoading = true;
  ['identify', 'group', 'page', 'startTour', 'debug'].forEach(function (method) {
    queue[method] = function () {
      queue.push([method].concat(Array.prototype.slice.call(arguments)));
    };
  });
  // With its time, in case the page goes away before the SDK is ready (see `stash`).
  queue.track = function (event, properties) {
    queue.push(['track', event, properties, Date.now()]);
  };
  queue.flush = function () {
    return new Promise(function (resolve) {
      queue.push(['flush', resolve]);
    });
  };
  var base = (script && script.src) || window.location.href;
  var attribute = function (name) {
    return script ? script.getAttribute(name) : null;
  };
  // The page went away before the SDK was ready: its queued `track` calls (name, properties'
  // JSON, time) are kept under a key of this page's, taken by the next page's SDK. Back from the
  // back-forward cache, the page replays them itself.
  var stashKey = 'uptake:' + attribute('data-write-key') + ':queued:' + Math.random().toString(36).slice(2);
  var stash = function () {
    try {
      var calls = [];
      for (var index = 0; index < queue.length; index += 1) {
        var call = queue[index];
        if (Array.isArray(call) && call[0] === 'track' && typeof call[1] === 'string') {
          calls.push([call[1], call[2] == null ? null : JSON.stringify(call[2]), call[3] || Date.now()]);
        }
      }
      if (calls.length) localStorage.setItem(stashKey, JSON.stringify(calls));
    } catch (_) {
      // No storage, or properties that cannot be written: nothing can be kept.
    }
  };
  var unstash = function (event) {
    try {
      if (event.persisted) localStorage.removeItem(stashKey);
    } catch (_) {
      // No storage: nothing was kept.
    }
  };
  window.addEventListener('pagehide', stash);
  window.addEventListener('pageshow', unstash);
  var options = {
    collector: attribute('data-collector') || new URL(base).origin,
    writeKey: attribute('data-write-key'),
    autoPage: attribute('data-auto-page') !== 'false',
    queue: queue,
    // With this script's query (a version, say), so that a cached wasm of another version
    // is not used with this glue.
    wasmUrl: new URL('uptake_wasm_bg.wasm' + (script ? new URL(base).search : ''), base).href,
  };
  load(options)
    .then(function (api) {
      window.removeEventListener('pagehide', stash);
      window.removeEventListener('pageshow', unstash);
      // Calls pushed while the SDK was starting, after it replayed the queue.
      while (queue.length) api.push(queue.shift());
      window.uptake = api;
    })
    .catch(function (error) {
      console.warn('[uptake] could not load the SDK', error);
    });
})();
