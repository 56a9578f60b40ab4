// Browser benchmark of rule evaluation in the SDK (wasm, headless Chromium): the workload of
// the core's criterion benchmarks (200 features, 1,000 rules), a year of history built through
// the public API (tracking with a faked clock), then the main-thread time of `track()` with the
// SDK taking the call in (recording the event and evaluating the rules it wakes) and of `page()`
// (which evaluates all).
//
//   node bench/rules.mjs          (after scripts/build-sdk and cargo build -p uptake-collector)
//
// Times are per call, as medians (and p99) over batches of calls, because the browser's clock
// is coarse outside cross-origin isolation.

import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join, dirname, extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { compileConfig } from '../scripts/compile-config.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const TYPES = { '.js': 'text/javascript', '.wasm': 'application/wasm', '.html': 'text/html' };

const PAGE = `<!doctype html><html><head><title>rules bench</title><script type="module">
import { load } from '/pkg/index.js';
const DAY = 86400000;
window.bench = async (config, features) => {
  const realNow = Date.now.bind(Date);
  let fake = realNow() - 365 * DAY;
  Date.now = () => fake;
  const uptake = await load({ collector: location.origin, writeKey: 'bench', config, autoPage: false, flushAt: 500 });
  uptake.identify('u-42', { role: 'admin', signed_up_at: '2025-01-01' });
  let seed = 12345;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  let tracked = 0;
  const historyStart = performance.now();
  for (let day = 365; day > 0; day -= 1) {
    for (let f = 0; f < features; f += 1) {
      if (random() < 0.4) {
        fake = realNow() - day * DAY + random() * 3600000;
        uptake.track('event.' + String(f).padStart(3, '0'), {});
        tracked += 1;
      }
    }
  }
  // track() only notes a call; debug(false) changes nothing but first takes in the calls noted.
  const takeIn = () => uptake.debug(false);
  takeIn();
  const historyMs = performance.now() - historyStart;
  Date.now = realNow;
  const perCall = (call, batches, size, after = () => {}) => {
    const samples = [];
    for (let batch = 0; batch < batches; batch += 1) {
      const start = performance.now();
      for (let index = 0; index < size; index += 1) call();
      after();
      samples.push(((performance.now() - start) * 1000) / size);
    }
    samples.sort((a, b) => a - b);
    return { median: samples[Math.floor(samples.length / 2)], p99: samples[Math.floor(samples.length * 0.99)] };
  };
  const properties = { amount: 1200, manual: true };
  // The call and the SDK's work on it (taken in after each group of calls, as the SDK does).
  const track = perCall(() => uptake.track('event.042', properties), 200, 50, takeIn);
  const page = perCall(() => uptake.page(), 100, 20);
  const adoption = uptake.adoption();
  return { tracked, historyMs, track, page, adoption };
};
</script></head><body></body></html>`;

async function serve() {
  const server = createServer(async (request, response) => {
    const path = new URL(request.url, 'http://x').pathname;
    if (request.method === 'POST') {
      request.resume();
      response.writeHead(200, { 'content-type': 'application/json' });
      return response.end('{}');
    }
    if (path === '/' || path === '/bench.html') {
      response.writeHead(200, { 'content-type': 'text/html' });
      return response.end(PAGE);
    }
    try {
      const body = await readFile(join(ROOT, path));
      response.writeHead(200, { 'content-type': TYPES[extname(path)] || 'application/octet-stream' });
      response.end(body);
    } catch {
      response.writeHead(404);
      response.end();
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

const config = JSON.parse(
  execFileSync('cargo', ['run', '-q', '--release', '-p', 'uptake-core', '--example', 'bench_workload'], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  }),
);
const server = await serve();
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
});
try {
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${server.address().port}/bench.html`);
  await page.waitForFunction(() => window.bench);
  const result = await page.evaluate(({ config, features }) => window.bench(JSON.parse(config), features), {
    config: compileConfig(config),
    features: config.features.length,
  });
  const micro = (value) => value.toFixed(1);
  console.log(`history: ${result.tracked} events tracked in ${result.historyMs.toFixed(0)} ms; adoption ${JSON.stringify(result.adoption)}`);
  console.log('| in the browser (wasm), 200 features, 1,000 rules, a year of history | median µs | p99 µs |');
  console.log('| --- | ---: | ---: |');
  console.log(`| track(): record, evaluate the rules it wakes, queue | ${micro(result.track.median)} | ${micro(result.track.p99)} |`);
  console.log(`| page(): evaluate all 1,000 rules | ${micro(result.page.median)} | ${micro(result.page.p99)} |`);
} finally {
  await browser.close();
  server.close();
}
