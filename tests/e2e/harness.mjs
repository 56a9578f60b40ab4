// Shared pieces of the end-to-end tests: a real collector process on a free port of
// 127.0.0.1 with its own SQLite file, a real headless Chromium, and the database read back
// with Python's sqlite3 module, independently of the collector's code.

import { spawn, execFileSync } from 'node:child_process';
import { mkdtemp, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { createServer, request as httpRequest } from 'node:http';
import { before, after } from 'node:test';
import { chromium } from 'playwright-core';
import { COLLECTOR, compileConfig } from '../../scripts/compile-config.mjs';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/**
 * Where screenshots go: a folder git ignores, so that running the tests changes no tracked file;
 * `UPTAKE_REFRESH_SCREENSHOTS=1 scripts/test e2e` writes the committed ones in tests/artifacts.
 */
export const ARTIFACTS = process.env.UPTAKE_REFRESH_SCREENSHOTS === '1'
  ? join(ROOT, 'tests', 'artifacts')
  : join(ROOT, 'target', 'e2e-screenshots');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/**
 * Starts a collector serving the demo app and the built SDK; resolves once it listens. A new
 * SQLite file and a free port unless `database` and `listen` name them (to restart one);
 * `extraArgs` are more options of `serve` (`--admin-key`, `--dashboard`, another `--write-key`).
 */
export async function startCollector({
  config = join(ROOT, 'www', 'uptake.config.json'), allowOrigins = [], database, listen = '127.0.0.1:0', extraArgs = [],
} = {}) {
  database ??= join(await mkdtemp(join(tmpdir(), 'uptake-e2e-')), 'events.db');
  const args = ['serve', '--config', config, '--database', database, '--listen', listen,
    '--write-key', 'dev', '--www', join(ROOT, 'www'), '--sdk', join(ROOT, 'pkg'),
    ...allowOrigins.flatMap((origin) => ['--allow-origin', origin]), ...extraArgs];
  const child = spawn(COLLECTOR, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const url = await new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the collector exited with ${code}`)));
    lines.once('line', (line) => {
      const match = line.match(/listening on (http:\/\/\S+?)\/? /);
      if (match) resolve(match[1]);
      else reject(new Error(`unexpected first line from the collector: ${line}`));
    });
  });
  return {
    url,
    database,
    query: (sql) => query(database, sql),
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Rows of a query on the collector's SQLite file, as arrays. */
export function query(database, sql) {
  const program = 'import json, sqlite3, sys\n' +
    'rows = sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchall()\n' +
    'print(json.dumps(rows))';
  return JSON.parse(execFileSync('python3', ['-c', program, database, sql], { encoding: 'utf8' }));
}

/**
 * Headless Chromium from the system, as root-safe as the machine needs. Playwright turns the
 * back-forward cache off unless `backForwardCache` is set; `args` adds command-line switches.
 */
export function launchBrowser({ backForwardCache = false, args = [] } = {}) {
  return chromium.launch({
    executablePath: CHROMIUM,
    ignoreDefaultArgs: backForwardCache ? ['--disable-back-forward-cache'] : [],
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage', ...args],
  });
}

/** A page that records uncaught errors, so a test can assert the SDK threw nothing. */
export async function newPage(context) {
  const page = await context.newPage();
  page.uncaughtErrors = [];
  page.on('pageerror', (error) => page.uncaughtErrors.push(error));
  return page;
}

/** Waits until the SDK has replaced the snippet's queue with its API. */
export async function sdkReady(page) {
  await page.waitForFunction(() => window.uptake && !Array.isArray(window.uptake), null, { timeout: 10_000 });
}

/** Polls `check` until it returns a truthy value or the time is up; returns its last value. */
export async function eventually(check, { timeout = 10_000, interval = 100 } = {}) {
  const deadline = Date.now() + timeout;
  let value = await check();
  while (!value && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, interval));
    value = await check();
  }
  return value;
}

export async function screenshot(page, name) {
  await mkdir(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, name);
  await page.screenshot({ path, animations: 'disabled' });
  return path;
}

/**
 * Another web app on its own origin (a second port of 127.0.0.1) serving one HTML page, which
 * `page()` gives when it is asked for (so the page can name a collector started afterwards).
 */
export async function startAppServer(page) {
  const server = createServer((request, response) => {
    response.writeHead(200, { 'content-type': 'text/html' });
    response.end(page());
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    stop: () => new Promise((resolve) => server.close(resolve)),
  };
}

/**
 * An HTTP proxy on 127.0.0.1 in front of the collector on `collectorPort`. It passes everything
 * through, drops the connection while the collector is down (as a stopped server does), and
 * for batches, by `mode`: 'pass'; 'unavailable' (it answers 503 itself); 'slow' (the collector
 * stores the batch, its answer comes 1.5 s late); 'hang' (the connection is accepted and never
 * answered); 'swallow' (the collector stores the batch, its answer never comes). `batches`
 * counts the batches each fault met.
 */
export async function startProxy(collectorPort) {
  const proxy = { mode: 'pass', batches: { unavailable: 0, dropped: 0, held: 0, hung: 0, swallowed: 0 } };
  const hanging = new Set();
  const server = createServer((request, response) => {
    const batch = request.url.startsWith('/v1/batch');
    if (batch && proxy.mode === 'unavailable') {
      proxy.batches.unavailable += 1;
      request.resume();
      response.writeHead(503, { 'retry-after': '1', 'access-control-allow-origin': '*', 'content-type': 'application/json' });
      response.end('{"error": "unavailable"}');
      return;
    }
    if (batch && proxy.mode === 'hang') {
      proxy.batches.hung += 1;
      request.resume();
      hanging.add(response);
      return;
    }
    const mode = batch ? proxy.mode : 'pass';
    const upstream = httpRequest({ host: '127.0.0.1', port: collectorPort, method: request.method, path: request.url,
      headers: request.headers }, async (answer) => {
      if (mode === 'swallow') {
        // Stored by the collector; the page never hears of it.
        proxy.batches.swallowed += 1;
        answer.resume();
        hanging.add(response);
        return;
      }
      if (mode === 'slow') {
        // Stored by the collector, but the answer comes too late for the page.
        proxy.batches.held += 1;
        await new Promise((resolve) => setTimeout(resolve, 1_500));
      }
      response.writeHead(answer.statusCode, answer.headers);
      answer.pipe(response);
    });
    upstream.on('error', () => {
      // The collector is down: the connection drops, as it does with no server at all.
      if (batch) proxy.batches.dropped += 1;
      request.socket.destroy();
    });
    request.pipe(upstream);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://127.0.0.1:${server.address().port}`;
  proxy.close = () => new Promise((resolve) => {
    for (const response of hanging) response.destroy();
    server.closeAllConnections();
    server.close(resolve);
  });
  return proxy;
}

/**
 * A collector and a browser for the tests of one file, started before them and stopped after,
 * with the two things most tests do with them: open a demo page in a fresh context, and read
 * back what a page sent.
 */
export function collectorAndBrowser() {
  const shared = {
    async openDemo(path = '/', options = {}) {
      const context = await shared.browser.newContext(options);
      const page = await newPage(context);
      await page.goto(`${shared.collector.url}${path}`);
      await sdkReady(page);
      return { context, page };
    },
    /** Flushes the page's queue and returns the events the collector stored for its visitor. */
    async sentEvents(page) {
      await page.evaluate(() => window.uptake.flush());
      const anonymousId = await page.evaluate(() => window.uptake.anonymousId());
      return storedEvents(shared.collector, anonymousId);
    },
  };
  before(async () => {
    shared.collector = await startCollector();
    shared.browser = await launchBrowser();
  });
  after(async () => {
    await shared.browser?.close();
    await shared.collector?.stop();
  });
  return shared;
}

const AXE = join(ROOT, 'node_modules', 'axe-core', 'axe.min.js');

/** Runs axe-core on the whole page, open shadow roots included; returns its violations. */
export async function axeViolations(page) {
  if (!(await page.evaluate(() => Boolean(window.axe)))) await page.addScriptTag({ path: AXE });
  // Colours are read once entrance animations (fades) are over.
  await settled(page.locator('html'));
  const violations = await page.evaluate(async () => (await window.axe.run(document)).violations);
  return violations.map((violation) => ({
    id: violation.id,
    help: violation.help,
    nodes: violation.nodes.map((node) => node.target.join(' ')),
  }));
}

/**
 * Waits for the entrance animations of what `locator` matches to finish, inside the SDK's
 * shadow roots too (pulsing badges, which never finish, are left out).
 */
export async function settled(locator) {
  await locator.evaluate((element) => {
    const roots = [element, ...[...element.querySelectorAll('uptake-root')].map((root) => root.shadowRoot)];
    return Promise.all(roots.flatMap((root) => (root.getAnimations ? root.getAnimations({ subtree: true }) : []))
      .filter((animation) => animation.effect?.getTiming().iterations !== Infinity)
      .map((animation) => animation.finished));
  });
}

/** The focused element inside open shadow roots: its text or accessible label. */
export function focusedLabel(page) {
  return page.evaluate(() => {
    let active = document.activeElement;
    while (active && active.shadowRoot && active.shadowRoot.activeElement) active = active.shadowRoot.activeElement;
    if (!active) return null;
    return active.getAttribute('aria-label') || active.textContent.trim();
  });
}

/** Presses Tab until `label` has the focus; fails after 40 presses. */
export async function tabTo(page, label) {
  for (let presses = 0; presses < 40; presses += 1) {
    if ((await focusedLabel(page)) === label) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`${label} never got the focus with Tab; focus is on ${await focusedLabel(page)}`);
}

/** Opens `path` of the collector's origin with `html` as its document (same origin as the SDK). */
export async function openFixture(page, collectorUrl, path, html) {
  await page.route(`${collectorUrl}${path}`, (route) => route.fulfill({ contentType: 'text/html', body: html }));
  await page.goto(`${collectorUrl}${path}`);
}

/** A page of the collector's origin that starts the SDK from pkg/ with `config`, compiled by
 * `uptake-collector compile`. */
export function fixtureHtml({ head = '', body, config }) {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Fixture</title>${head}
<script type="module">
import { load } from '/uptake/index.js';
window.uptake = await load({ collector: location.origin, writeKey: 'dev', config: ${compileConfig(config).replace(/</g, '\\u003c')} });
</script></head><body>${body}</body></html>`;
}

/** The bounding boxes of `selector` in the page and of the SDK's floating card. */
export function cardAndTarget(page, selector) {
  return page.evaluate((selector) => {
    const find = (root) => {
      const found = root.querySelector(selector);
      if (found) return found;
      for (const host of root.querySelectorAll('*')) {
        if (host.shadowRoot && host.localName !== 'uptake-root') {
          const inner = find(host.shadowRoot);
          if (inner) return inner;
        }
      }
      return null;
    };
    const target = find(document);
    let card = null;
    for (const root of document.querySelectorAll('uptake-root')) {
      card = card || root.shadowRoot.querySelector('.uptake-floating');
    }
    const box = (element) => {
      const rect = element.getBoundingClientRect();
      return { x: rect.x, y: rect.y, width: rect.width, height: rect.height, right: rect.right, bottom: rect.bottom };
    };
    if (!target || !card) return null;
    const arrow = card.querySelector('.uptake-arrow').getBoundingClientRect();
    return {
      target: box(target),
      card: box(card),
      side: card.getAttribute('data-side'),
      visible: getComputedStyle(card).visibility === 'visible',
      arrow: { x: arrow.x + arrow.width / 2, y: arrow.y + arrow.height / 2 },
      viewport: { width: document.documentElement.clientWidth, height: document.documentElement.clientHeight },
    };
  }, selector);
}

/**
 * Whether the card sits next to its target on its side, 12px away (±3), inside the viewport,
 * with its arrow pointing at the target; a reason when it does not.
 */
export function attachmentProblem(boxes) {
  if (!boxes) return 'no card or no target';
  const { target, card, side, arrow, viewport, visible } = boxes;
  if (!visible) return 'the card is hidden';
  const near = (value, expected) => Math.abs(value - expected) <= 3;
  const gap = { bottom: card.y - target.bottom, top: target.y - card.bottom, right: card.x - target.right, left: target.x - card.right }[side];
  if (gap === undefined) return `no side: ${side}`;
  if (!near(gap, 12)) return `the card is ${gap.toFixed(1)}px from the target's ${side}`;
  const along = side === 'top' || side === 'bottom'
    ? arrow.x >= target.x - 1 && arrow.x <= target.right + 1
    : arrow.y >= target.y - 1 && arrow.y <= target.bottom + 1;
  if (!along) return `the arrow at ${JSON.stringify(arrow)} does not point at the target ${JSON.stringify(target)}`;
  if (card.x < 0 || card.y < 0 || card.right > viewport.width || card.bottom > viewport.height) {
    return `the card ${JSON.stringify(card)} leaves the viewport`;
  }
  return null;
}

/** Events the collector stored for one visitor: [name, properties] in order. */
export function storedEvents(collector, anonymousId) {
  return collector
    .query(`SELECT COALESCE(event, type), json_extract(body, '$.properties') FROM events
      WHERE anonymous_id = '${anonymousId}' ORDER BY timestamp_ms, id`)
    .map(([name, properties]) => [name, properties ? JSON.parse(properties) : {}]);
}

/** Events of `name` waiting in the page's IndexedDB outbox. */
export function waitingInIndexedDb(page, name) {
  return page.evaluate((name) => new Promise((resolve, reject) => {
    const opening = indexedDB.open('uptake:dev');
    opening.onerror = () => reject(opening.error);
    opening.onsuccess = () => {
      const all = opening.result.transaction('events').objectStore('events').getAll();
      all.onsuccess = () => {
        resolve(all.result.filter((record) => JSON.parse(record.body).event === name).length);
        opening.result.close();
      };
    };
  }), name);
}
