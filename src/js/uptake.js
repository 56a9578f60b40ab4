/*
 * Uptake loader, for a script tag:
 *   <script>window.uptake=window.uptake||[];uptake.push(['identify','u-42',{role:'admin'}]);</script>
 *   <script async src="/uptake/uptake.js" data-collector="https://collector.example.com" data-write-key="..."></script>
 *
 * Calls made before the SDK is ready are queued in `window.uptake` and replayed in order. The
 * collector defaults to the origin this script is served from. Nothing here blocks the page.
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
  ['track', 'identify', 'group', 'page', 'startTour', 'debug'].forEach(function (method) {
    queue[method] = function () {
      queue.push([method].concat(Array.prototype.slice.call(arguments)));
    };
  });
  queue.flush = function () {
    return new Promise(function (resolve) {
      queue.push(['flush', resolve]);
    });
  };
  var base = (script && script.src) || window.location.href;
  var attribute = function (name) {
    return script ? script.getAttribute(name) : null;
  };
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
      // Calls pushed while the SDK was starting, after it replayed the queue.
      while (queue.length) api.push(queue.shift());
      window.uptake = api;
    })
    .catch(function (error) {
      console.warn('[uptake] could not load the SDK', error);
    });
})();
