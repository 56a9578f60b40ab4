// Uptake SDK, ES module entry point: `import { load } from 'uptake'`.
//
// Loads the WebAssembly (compiled while it downloads, with instantiateStreaming) and returns
// the public API. Every method is wrapped so that nothing the SDK does can throw into the host
// page: a failure is logged once and the SDK switches itself off for this page.

import initWasm, { start as startWasm } from './uptake_wasm.js';

function warn(message, detail) {
  try {
    console.warn('[uptake]', message, detail);
  } catch (_) {
    // No console: nothing to report to.
  }
}

function facade(instance) {
  let off = !instance;
  const guarded = (name, call, fallback) =>
    function () {
      if (off) return fallback;
      try {
        return call.apply(null, arguments);
      } catch (error) {
        off = true;
        warn(name + ' failed; the SDK is off for this page', error);
        return fallback;
      }
    };
  return Object.freeze({
    track: guarded('track', (event, properties) => instance.track(event, properties)),
    identify: guarded('identify', (userId, traits) => instance.identify(userId, traits)),
    group: guarded('group', (accountId, traits) => instance.group(accountId, traits)),
    page: guarded('page', (name, properties) => instance.page(name, properties)),
    push: guarded('push', (call) => instance.push(call)),
    flush: guarded('flush', () => instance.flush().catch((error) => warn('flush failed', error)), Promise.resolve()),
    featureUsage: guarded('featureUsage', (feature) => instance.featureUsage(feature), null),
    adoption: guarded('adoption', () => instance.adoption(), null),
    startTour: guarded('startTour', (tourId) => instance.startTour(tourId), false),
    debug: guarded('debug', (on) => instance.debug(on)),
    anonymousId: guarded('anonymousId', () => instance.anonymousId(), ''),
  });
}

/**
 * Starts the SDK. Resolves to the API once the WebAssembly is ready; never rejects: if the SDK
 * cannot start, the API it resolves to ignores every call.
 */
export async function load(options) {
  let instance = null;
  try {
    const wasmUrl = (options && options.wasmUrl) || new URL('./uptake_wasm_bg.wasm', import.meta.url);
    await initWasm({ module_or_path: wasmUrl });
    instance = startWasm(options || {});
  } catch (error) {
    warn('could not start; calls to the SDK are ignored on this page', error);
  }
  return facade(instance);
}
