// Where Uptake's time to ready goes, in pages interleaved with a peer's (Segment by default), so
// that both see the same machine: the loader's response, the wasm's request and last byte, the
// end of `WebAssembly.instantiateStreaming` (the page wraps it), and ready (the API replacing the
// loader's queue), each in ms from the page's first script, as medians.
//
//   node bench/ready.mjs [--pages 15] [--sdks uptake,segment]
//                       (after scripts/build-sdk, `npm install` in bench/ and bench/peers.mjs
//                        once, which bundles the peers into bench/dist/)

import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { startBenchCollector } from './collector.mjs';
import { PAGE_SCRIPTS, SDKS, openUntil, tourConfig } from './sdks.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({
  options: { pages: { type: 'string', default: '15' }, sdks: { type: 'string', default: 'uptake,segment' } },
});

/** Marks when the page's `WebAssembly.instantiateStreaming` resolves (Uptake's glue calls it). */
const INSTANTIATE_WATCH = `<script>
(function () {
  var instantiate = WebAssembly.instantiateStreaming;
  WebAssembly.instantiateStreaming = function (source, imports) {
    return instantiate.call(WebAssembly, source, imports).then(function (result) {
      window.benchInstantiatedAt = performance.now();
      return result;
    });
  };
})();
</script>`;

const page = (head) => `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>ready</title>
<script>window.benchStart = performance.now();</script>${PAGE_SCRIPTS}${INSTANTIATE_WATCH}${head}
</head><body><main><h1>Ready</h1></main></body></html>`;

const sdks = args.sdks.split(',').map((id) => SDKS.find((sdk) => sdk.id === id));
if (sdks.some((sdk) => !sdk?.head)) throw new Error(`--sdks takes ids of ${SDKS.filter((sdk) => sdk.head).map((sdk) => sdk.id)}`);
const collector = await startBenchCollector({
  files: { '/pkg/': join(ROOT, 'pkg'), '/dist/': join(ROOT, 'bench', 'dist') },
  uptakeConfig: await tourConfig(join(ROOT, 'www', 'uptake.config.json')),
});
for (const sdk of sdks) collector.pages.set(`/${sdk.id}.html`, page(sdk.head));
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
});
const FIGURES = ['loader', 'wasm request', 'wasm last byte', 'instantiated', 'ready'];
const measured = new Map(sdks.map((sdk) => [sdk.id, []]));
try {
  for (let round = 0; round < Number(args.pages); round += 1) {
    for (const sdk of sdks) {
      const context = await browser.newContext();
      const tab = await context.newPage();
      await openUntil(tab, `${collector.origin}/${sdk.id}.html`, 'benchReadyAt');
      measured.get(sdk.id).push(await tab.evaluate(() => {
        const resources = performance.getEntriesByType('resource');
        const loader = resources.find((entry) => entry.name.endsWith('/uptake.js'));
        const wasm = resources.find((entry) => entry.name.endsWith('.wasm'));
        const since = (at) => (at === undefined ? undefined : at - window.benchStart);
        return {
          loader: since(loader?.responseEnd),
          'wasm request': since(wasm?.startTime),
          'wasm last byte': since(wasm?.responseEnd),
          instantiated: since(window.benchInstantiatedAt),
          ready: since(window.benchReadyAt),
        };
      }));
      await context.close();
    }
  }
} finally {
  await browser.close();
  await collector.close();
}

const median = (values) => {
  const sorted = values.filter((value) => value !== undefined).sort((a, b) => a - b);
  return sorted.length ? sorted[Math.floor(sorted.length / 2)].toFixed(1) : '–';
};
console.log(`| SDK | ${FIGURES.join(' | ')} |`);
console.log(`| --- |${' ---: |'.repeat(FIGURES.length)}`);
for (const sdk of sdks) {
  const rows = measured.get(sdk.id);
  console.log(`| ${sdk.name} | ${FIGURES.map((figure) => median(rows.map((row) => row[figure]))).join(' | ')} |`);
}
process.exit(0);
