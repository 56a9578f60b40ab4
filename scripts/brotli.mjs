// Writes `<file>.br` next to each file named on the command line: brotli at its best quality
// (11), told the input's size and whether it is text, as a server would precompress it.
//
//   node scripts/brotli.mjs pkg/uptake.js pkg/uptake_wasm_bg.wasm ...

import { readFileSync, writeFileSync } from 'node:fs';
import { brotliCompressSync, constants } from 'node:zlib';

for (const file of process.argv.slice(2)) {
  const content = readFileSync(file);
  const compressed = brotliCompressSync(content, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
      [constants.BROTLI_PARAM_SIZE_HINT]: content.length,
      [constants.BROTLI_PARAM_MODE]: file.endsWith('.js') ? constants.BROTLI_MODE_TEXT : constants.BROTLI_MODE_GENERIC,
    },
  });
  writeFileSync(`${file}.br`, compressed);
}
