// Writes `<file>.br` next to each file named on the command line: brotli at its best quality
// (11), told the input's size and whether it is text, as a server would precompress it. The
// benchmark sizes every SDK's files with the same `brotli`.
//
//   node scripts/brotli.mjs pkg/uptake.js pkg/uptake_wasm_bg.wasm ...

import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants } from 'node:zlib';

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
    writeFileSync(`${file}.br`, brotli(readFileSync(file), file));
  }
}
