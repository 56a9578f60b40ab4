// The compressed forms of the SDK's files that the collector serves: writes `<file>.gz` and
// `<file>.br` next to each file named on the command line, reading each file once. The
// benchmark sizes every SDK's files with the same `gzip` and `brotli`.
//
//   node scripts/compress.mjs pkg/uptake.js pkg/uptake_wasm_bg.wasm ...
//
// - gzip is written by zopfli (Google's, compiled to wasm: npm `@gfx/zopfli`, the same bytes as
//   Debian's `zopfli`), which searches far harder than `gzip -9` for repeats, in the same format
//   every browser reads. Its header holds no file name or time.
// - brotli is at its best quality (11), told the input's size and whether it is text, as a
//   server would precompress it.

import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants } from 'node:zlib';
import { gzipAsync } from '@gfx/zopfli';

/** zopfli's default: more iterations found 40 bytes more of the SDK's wasm in twice the time. */
const ZOPFLI_ITERATIONS = 15;

/** `content` gzipped as the collector serves it. */
export async function gzip(content) {
  return Buffer.from(await gzipAsync(content, { numiterations: ZOPFLI_ITERATIONS }));
}

/** `content`, the file `name`'s bytes, compressed with brotli as the collector serves it. */
export function brotli(content, name) {
  return brotliCompressSync(content, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
      [constants.BROTLI_PARAM_SIZE_HINT]: content.length,
      [constants.BROTLI_PARAM_MODE]: name.endsWith('.js') ? constants.BROTLI_MODE_TEXT : constants.BROTLI_MODE_GENERIC,
    },
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const file of process.argv.slice(2)) {
    const content = readFileSync(file);
    writeFileSync(`${file}.gz`, await gzip(content));
    writeFileSync(`${file}.br`, brotli(content, file));
  }
}
