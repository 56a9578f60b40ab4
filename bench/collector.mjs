// The benchmark's local collector on 127.0.0.1: serves the pages, the SDKs' files and what each
// SDK fetches at start (Uptake's config, RudderStack's source config), and takes the events of
// every SDK at its own endpoints. It reads each event's id and `bench_seq` property out of the
// SDK's own wire format, counts what it acknowledged, and can answer 503 or hold its answers to
// put delivery under stress. Files are served with cross-origin isolation, which gives the
// pages' clock 5 µs resolution instead of 100 µs.

import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { gunzipSync } from 'node:zlib';

const TYPES = {
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.css': 'text/css',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
};

/** The path prefixes where each SDK sends its events. */
const EVENT_ENDPOINTS = ['/v1/batch', '/posthog/', '/segment/', '/rudderstack/', '/snowplow/'];

/** RudderStack's source config with no destination and its own error and metric reports off. */
const RUDDERSTACK_SOURCE_CONFIG = {
  isHosted: true,
  source: {
    id: 'bench',
    name: 'bench',
    writeKey: 'bench',
    enabled: true,
    workspaceId: 'bench',
    config: { statsCollection: { errorReports: { enabled: false }, metrics: { enabled: false } } },
    destinations: [],
  },
};

/** The body of an event request as JSON, whatever the SDK's encoding; null when unreadable. */
function decodeBody(bytes) {
  let buffer = bytes;
  if (buffer.length > 2 && buffer[0] === 0x1f && buffer[1] === 0x8b) {
    try {
      buffer = gunzipSync(buffer);
    } catch {
      return null;
    }
  }
  const text = buffer.toString('utf8').trim();
  try {
    if (text.startsWith('{') || text.startsWith('[')) return JSON.parse(text);
    // Form-encoded `data=` (JSON, possibly base64).
    const data = new URLSearchParams(text).get('data');
    if (data === null) return null;
    return data.startsWith('{') || data.startsWith('[') ? JSON.parse(data) : JSON.parse(Buffer.from(data, 'base64').toString('utf8'));
  } catch {
    return null;
  }
}

/**
 * Every benchmark event in a decoded body: its `bench_seq` and the id its SDK gave it
 * (Segment's and Uptake's and RudderStack's `messageId`, PostHog's `uuid`, Snowplow's `eid`).
 * Strings holding JSON (Snowplow's self-describing payloads) are read too.
 */
export function benchEvents(node, id = null, found = []) {
  if (Array.isArray(node)) {
    for (const item of node) benchEvents(item, id, found);
  } else if (node && typeof node === 'object') {
    const ownId = node.messageId ?? node.uuid ?? node.eid ?? id;
    if (typeof node.bench_seq === 'number') found.push({ id: ownId, seq: node.bench_seq });
    for (const [key, value] of Object.entries(node)) {
      if (key !== 'bench_seq') benchEvents(value, ownId, found);
    }
  } else if (typeof node === 'string' && (node.startsWith('{"') || node.startsWith('[{'))) {
    try {
      benchEvents(JSON.parse(node), id, found);
    } catch {
      // Not JSON after all.
    }
  }
  return found;
}

/** What the collector acknowledged: for each sequence number, the ids it came with and how often. */
class Tally {
  constructor() {
    this.bySeq = new Map();
    this.requests = 0;
    this.refused = 0;
    /** When the latest event not acknowledged before arrived (Date.now()), or null. */
    this.lastNewAt = null;
  }

  add(events) {
    for (const { id, seq } of events) {
      if (!this.bySeq.has(seq)) this.lastNewAt = Date.now();
      const entry = this.bySeq.get(seq) ?? { ids: new Set(), copies: 0 };
      entry.ids.add(id);
      entry.copies += 1;
      this.bySeq.set(seq, entry);
    }
  }

  /** Events received out of `expected` (sequences 0..expected-1), lost, and duplicated. */
  summary(expected) {
    let received = 0;
    let duplicated = 0;
    let resent = 0;
    for (let seq = 0; seq < expected; seq += 1) {
      const entry = this.bySeq.get(seq);
      if (!entry) continue;
      received += 1;
      // The same event under a second id is counted twice by any store; the same id again is
      // absorbed by a store that dedupes on the SDK's id.
      duplicated += entry.ids.size - 1;
      resent += entry.copies - entry.ids.size;
    }
    return { expected, received, lost: expected - received, duplicated, resentSameId: resent };
  }

  /** Distinct sequences acknowledged so far. */
  get distinct() {
    return this.bySeq.size;
  }
}

/**
 * Starts the collector. `files` maps URL prefixes to folders; `pages` is filled by the caller
 * with HTML by path; `uptakeConfig`, a compiled config (JSON text), is served at `/v1/config`.
 */
export async function startBenchCollector({ files, uptakeConfig }) {
  const pages = new Map();
  const served = [];
  const state = { tally: new Tally(), failing: false, holdMs: 0, firstEventRequest: null };
  const server = createServer((request, response) => {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => {
      handle(request, Buffer.concat(chunks), response).catch((error) => {
        response.writeHead(500).end(String(error));
      });
    });
  });

  const isolated = {
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-embedder-policy': 'require-corp',
    'cross-origin-resource-policy': 'same-origin',
    'cache-control': 'no-store',
  };

  async function handle(request, body, response) {
    const url = new URL(request.url, 'http://127.0.0.1');
    const path = url.pathname;
    if (request.method === 'POST' && EVENT_ENDPOINTS.some((prefix) => path.startsWith(prefix))) {
      return takeEvents(body, response);
    }
    if (pages.has(path)) {
      response.writeHead(200, { ...isolated, 'content-type': 'text/html; charset=utf-8' });
      return response.end(pages.get(path));
    }
    if (path === '/v1/config') {
      response.writeHead(200, { ...isolated, 'content-type': 'application/json' });
      return response.end(uptakeConfig);
    }
    if (path.startsWith('/rudderstack-config/')) {
      response.writeHead(200, { ...isolated, 'content-type': 'application/json' });
      return response.end(JSON.stringify(RUDDERSTACK_SOURCE_CONFIG));
    }
    for (const [prefix, folder] of Object.entries(files)) {
      if (!path.startsWith(prefix)) continue;
      const relative = normalize(path.slice(prefix.length)).replace(/^(\.\.[/\\])+/, '');
      const file = join(folder, relative);
      try {
        const content = await readFile(file);
        served.push(file);
        response.writeHead(200, { ...isolated, 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
        return response.end(content);
      } catch {
        break;
      }
    }
    response.writeHead(404, isolated).end();
  }

  async function takeEvents(body, response) {
    const events = benchEvents(decodeBody(body));
    if (events.length > 0) state.firstEventRequest ??= Date.now();
    state.tally.requests += 1;
    if (state.holdMs > 0) await new Promise((resolve) => setTimeout(resolve, state.holdMs));
    if (state.failing) {
      state.tally.refused += 1;
      response.writeHead(503, { 'content-type': 'text/plain' }).end('unavailable');
      return;
    }
    // Stored on arrival, as a collector stores before it answers: an answer the page never
    // reads (it reloaded) does not undo the storing.
    state.tally.add(events);
    response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  }

  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${server.address().port}`;
  return {
    origin,
    pages,
    /** Files served since the last `reset()`. */
    served,
    state,
    /** Forgets every event and file served, and answers normally again. */
    reset() {
      state.tally = new Tally();
      state.failing = false;
      state.holdMs = 0;
      state.firstEventRequest = null;
      served.length = 0;
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
