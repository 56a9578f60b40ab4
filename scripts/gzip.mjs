// Writes `<file>.gz` next to each file named on the command line: gzip written by zopfli
// (Google's, compiled to wasm: npm `@gfx/zopfli`, the same bytes as Debian's `zopfli`), which
// searches far harder than `gzip -9` for repeats, in the same format every browser reads. Its
// header holds no file name or time. The benchmark sizes every SDK's files with the same `gzip`.
//
//   node scripts/gzip.mjs pkg/uptake.js pkg/uptake_wasm_bg.wasm ...

import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipAsync } from '@gfx/zopfli';

/** zopfli's default: more iterations found 40 bytes more of the SDK's wasm in twice the time. */
const ITERATIONS = 15;

/** `content` gzipped as the collector serves it. */
export async function gzip(content) {
  return Buffer.from(await gzipAsync(content, { numiterations: ITERATIONS }));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const file of process.argv.slice(2)) {
    writeFileSync(`${file}.gz`, await gzip(readFileSync(file)));
  }
}
