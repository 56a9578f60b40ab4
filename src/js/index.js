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

/** Calls of `track` taken in together, and the time the SDK gives itself per task to take them in. */
const TRACK_CALLS_PER_CHUNK = 32;
const TRACK_SLICE_MS = 8;

/**
 * `track()` is on the host's hot path, so it only notes the call: the event name, a JSON
 * snapshot of the properties (what they are now, whatever the host does with the object
 * afterwards) and the time. The SDK takes the calls in, in order, in a task of its own, at most
 * TRACK_SLICE_MS at a time so that a burst of calls never makes a long task. Every other call
 * takes in what is waiting first, so that it sees every event tracked before it, and so does
 * the SDK before it handles any event of the page (a route change, a click, the page being
 * hidden). On a hidden page a call is taken in at once: the page may be going away.
 */
function trackQueue() {
  let instance = null;
  let onFailure = null;
  let calls = [];
  let head = 0;
  let scheduled = false;
  let taking = false;
  const channel = typeof MessageChannel === 'function' ? new MessageChannel() : null;

  function takeIn(sliceMs) {
    // Not within itself: an event the SDK causes while taking calls in (a focus change) can
    // reach a host handler that calls the SDK.
    if (!instance || taking) return;
    taking = true;
    try {
      const until = performance.now() + sliceMs;
      while (head < calls.length) {
        const count = Math.min((calls.length - head) / 3, TRACK_CALLS_PER_CHUNK);
        const from = head;
        head += count * 3;
        const taken = instance.trackCalls(calls, from, count);
        if (taken < count) {
          // The SDK is busy (a call from inside its own work): later.
          head = from + taken * 3;
          break;
        }
        if (performance.now() >= until) break;
      }
    } finally {
      taking = false;
    }
    if (head < calls.length) {
      schedule();
    } else {
      calls = [];
      head = 0;
    }
  }
  const takeInGuarded = (sliceMs) => {
    try {
      takeIn(sliceMs);
    } catch (error) {
      instance = null;
      if (onFailure) onFailure(error);
    }
  };
  const takeInSlice = () => {
    scheduled = false;
    takeInGuarded(TRACK_SLICE_MS);
  };
  function schedule() {
    if (scheduled) return;
    scheduled = true;
    if (channel) channel.port2.postMessage(null);
    else setTimeout(takeInSlice, 0);
  }
  if (channel) channel.port1.onmessage = takeInSlice;

  return {
    /** Hands the calls to the started SDK from now on; `failed(error)` when it throws. */
    attach(started, failed) {
      instance = started;
      onFailure = failed;
      if (calls.length) schedule();
    },
    /** Notes a call made on an earlier page, with its properties' JSON and its time. */
    noteEarlier(event, snapshot, time) {
      calls.push(event, snapshot, time);
    },
    /** Notes a call; false when it is not one to note (the SDK checks it at once instead). */
    note(event, properties) {
      if (typeof event !== 'string') return false;
      let snapshot = null;
      if (properties !== undefined && properties !== null) {
        if (typeof properties !== 'object' || Array.isArray(properties)) return false;
        try {
          snapshot = JSON.stringify(properties);
        } catch (_) {
          return false;
        }
      }
      calls.push(event, snapshot, Date.now());
      if (typeof document !== 'undefined' && document.visibilityState === 'hidden') takeInGuarded(Infinity);
      else schedule();
      return true;
    },
    /** Takes in every call noted so far, now. */
    takeInAll: () => takeIn(Infinity),
    /** The same, for the SDK to call before it handles an event: never throws. */
    takeInAllGuarded: () => takeInGuarded(Infinity),
  };
}

function facade(instance, queued) {
  let off = !instance;
  const switchOff = (name, error) => {
    off = true;
    queued.attach(null, null);
    warn(name + ' failed; the SDK is off for this page', error);
  };
  if (instance) queued.attach(instance, (error) => switchOff('track', error));
  const guarded = (name, call, fallback) =>
    function () {
      if (off) return fallback;
      try {
        return call.apply(null, arguments);
      } catch (error) {
        switchOff(name, error);
        return fallback;
      }
    };
  // Every call but a noted track first takes in the tracks noted before it.
  const inOrder = (call) =>
    function () {
      queued.takeInAll();
      return call.apply(null, arguments);
    };
  const track = (event, properties) => {
    if (!queued.note(event, properties)) inOrder(() => instance.track(event, properties))();
  };
  const push = (call) => {
    if (!(Array.isArray(call) && call[0] === 'track' && queued.note(call[1], call[2]))) inOrder(() => instance.push(call))();
  };
  return Object.freeze({
    track: guarded('track', track),
    identify: guarded('identify', inOrder((userId, traits) => instance.identify(userId, traits))),
    group: guarded('group', inOrder((accountId, traits) => instance.group(accountId, traits))),
    page: guarded('page', inOrder((name, properties) => instance.page(name, properties))),
    push: guarded('push', push),
    flush: guarded(
      'flush',
      inOrder(() => instance.flush().catch((error) => warn('flush failed', error))),
      Promise.resolve(),
    ),
    featureUsage: guarded('featureUsage', inOrder((feature) => instance.featureUsage(feature)), null),
    adoption: guarded('adoption', inOrder(() => instance.adoption()), null),
    startTour: guarded('startTour', inOrder((tourId) => instance.startTour(tourId)), false),
    debug: guarded('debug', inOrder((on) => instance.debug(on))),
    anonymousId: guarded('anonymousId', () => instance.anonymousId(), ''),
  });
}

/** How long the config's request may take before it is given up (the last config seen is used). */
const CONFIG_DEADLINE_MS = 15000;

/**
 * The config's request to the collector, sent at once so that it travels while the WebAssembly
 * downloads and compiles; the SDK only reads its answer (a Response, or the error it failed
 * with). None when the config is given inline or the collector is not known (the SDK then says
 * what is wrong).
 */
function requestConfig(options) {
  if (!options || options.config != null || typeof options.collector !== 'string' || !options.collector) return undefined;
  try {
    const url = options.collector.replace(/\/+$/, '') + '/v1/config';
    const deadline = new AbortController();
    setTimeout(() => deadline.abort(), CONFIG_DEADLINE_MS);
    return fetch(url, { mode: 'cors', credentials: 'omit', signal: deadline.signal }).catch((error) => error);
  } catch (error) {
    return undefined;
  }
}

/**
 * `track` calls an earlier page queued before its SDK was ready, kept by the loader when that
 * page went away (see uptake.js): noted now, with their times, and deleted.
 */
function takeStashedCalls(writeKey, queued) {
  try {
    const prefix = 'uptake:' + writeKey + ':queued:';
    for (const key of Object.keys(localStorage)) {
      if (!key.startsWith(prefix)) continue;
      const stashed = JSON.parse(localStorage.getItem(key));
      localStorage.removeItem(key);
      for (const [event, snapshot, time] of Array.isArray(stashed) ? stashed : []) {
        if (typeof event === 'string') queued.noteEarlier(event, typeof snapshot === 'string' ? snapshot : null, time);
      }
    }
  } catch (_) {
    // No storage, or a value that is not ours: nothing to take.
  }
}

/**
 * Starts the SDK. Resolves to the API once the WebAssembly is ready; never rejects: if the SDK
 * cannot start, the API it resolves to ignores every call.
 */
export async function load(options) {
  let instance = null;
  const queued = trackQueue();
  try {
    // The WebAssembly's request goes out first, before the glue builds its imports and before the
    // config's request: the SDK's start waits for it and nothing else.
    const wasmUrl = (options && options.wasmUrl) || new URL('./uptake_wasm_bg.wasm', import.meta.url);
    const wasmResponse = fetch(wasmUrl);
    const configRequest = requestConfig(options);
    await initWasm({ module_or_path: wasmResponse });
    instance = startWasm(Object.assign({}, options, { takeInNoted: queued.takeInAllGuarded, configRequest }));
    if (instance && typeof options.writeKey === 'string') takeStashedCalls(options.writeKey, queued);
  } catch (error) {
    warn('could not start; calls to the SDK are ignored on this page', error);
  }
  return facade(instance, queued);
}
