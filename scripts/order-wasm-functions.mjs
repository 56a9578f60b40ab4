// Puts the wasm's functions in an order that gzip compresses better: each function next to the
// ones that share the most byte sequences with it. gzip finds repeats only within the last
// 32 KiB it read, and the compiler leaves similar functions (the instances of one generic, the
// readers of the config's types, the glue of the DOM calls) scattered over the 300 KB of code.
// On 2026-12-06 this took the gzipped wasm from 136,754 to 132,925 bytes; a random order made it
// 11 KB larger than the compiler's.
//
//   node scripts/order-wasm-functions.mjs <wasm in> <wasm out>
//
// The order is greedy: from the first function, the next one is always the function whose
// 6-byte sequences are most covered by the last 32 KiB placed, relative to its size (to the
// power 0.6: small functions do not all jump the queue). Both were tuned on what zopfli writes
// (2026-12-07): over 5 to 8 bytes and powers 0.45 to 0.9, 6 and 0.6 gave the smallest wasm,
// 301 bytes under 7 and 0.75 (tuned on `gzip -9` before), and 100 bytes under them on the
// build of commit 2357202; neighbouring values moved it by a few hundred bytes either way.
// Only the order changes: calls, the table and the exports name functions, not positions, in
// binaryen's form. The module is validated, and its imports and exports checked unchanged.
// Binaryen writes the reordered module's locals less tightly than `-Oz` left them, so
// `scripts/build-sdk` runs `-Oz` again afterwards (after the relooper's passes), which keeps the
// order.

import { readFileSync, writeFileSync } from 'node:fs';
import binaryen from 'binaryen';

const GRAM_BYTES = 6;
const WINDOW_BYTES = 32 * 1024;
const SIZE_EXPONENT = 0.6;

const [input, output] = process.argv.slice(2);
if (!input || !output) {
  console.error('usage: node scripts/order-wasm-functions.mjs <wasm in> <wasm out>');
  process.exit(2);
}

function fail(message) {
  console.error(`order-wasm-functions: ${message}`);
  process.exit(1);
}

function readLeb(bytes, at) {
  let value = 0;
  let shift = 0;
  let byte;
  do {
    byte = bytes[at];
    at += 1;
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
  } while (byte & 0x80);
  return [value, at];
}

/** The bodies of the functions the module defines, in its order, from the code section (id 10). */
function functionBodies(bytes) {
  const bodies = [];
  let at = 8;
  while (at < bytes.length) {
    const id = bytes[at];
    const [size, start] = readLeb(bytes, at + 1);
    if (id === 10) {
      let [count, next] = readLeb(bytes, start);
      for (; count > 0; count -= 1) {
        const [length, body] = readLeb(bytes, next);
        bodies.push(bytes.subarray(body, body + length));
        next = body + length;
      }
    }
    at = start + size;
  }
  return bodies;
}

/** Each body's distinct byte sequences of `GRAM_BYTES`, as numbers shared by equal sequences. */
function sequencesOf(bodies) {
  const ids = new Map();
  const sequences = bodies.map((body) => {
    const found = new Set();
    for (let at = 0; at + GRAM_BYTES <= body.length; at += 1) {
      const key = String.fromCharCode(...body.subarray(at, at + GRAM_BYTES));
      let id = ids.get(key);
      if (id === undefined) {
        id = ids.size;
        ids.set(key, id);
      }
      found.add(id);
    }
    return [...found];
  });
  return { sequences, count: ids.size };
}

/** The greedy order of the bodies' indices (see the top of this file). */
function greedyOrder(bodies) {
  const { sequences, count } = sequencesOf(bodies);
  const holders = Array.from({ length: count }, () => []);
  sequences.forEach((ids, index) => ids.forEach((id) => holders[id].push(index)));
  // `covered[f]`: how many of f's sequences the window holds.
  const covered = new Float64Array(bodies.length);
  const placed = new Uint8Array(bodies.length);
  const inWindow = new Int32Array(count);
  const window = [];
  let windowBytes = 0;
  const order = [];
  const place = (index) => {
    placed[index] = 1;
    order.push(index);
    for (const id of sequences[index]) {
      if (inWindow[id]++ === 0) holders[id].forEach((holder) => (covered[holder] += 1));
    }
    window.push(index);
    windowBytes += bodies[index].length;
    while (windowBytes > WINDOW_BYTES && window.length > 1) {
      const left = window.shift();
      windowBytes -= bodies[left].length;
      for (const id of sequences[left]) {
        if (--inWindow[id] === 0) holders[id].forEach((holder) => (covered[holder] -= 1));
      }
    }
  };
  place(0);
  while (order.length < bodies.length) {
    let best = -1;
    let bestScore = -1;
    for (let index = 0; index < bodies.length; index += 1) {
      if (placed[index]) continue;
      const size = sequences[index].length;
      const score = size === 0 ? 1 : covered[index] / size ** SIZE_EXPONENT;
      if (score > bestScore) {
        bestScore = score;
        best = index;
      }
    }
    place(best);
  }
  return order;
}

const bytes = readFileSync(input);
const before = new WebAssembly.Module(bytes);
const module = binaryen.readBinary(bytes);
// The features `scripts/build-sdk` gives wasm-opt.
const { Features } = binaryen;
module.setFeatures(
  Features.BulkMemory |
    Features.BulkMemoryOpt |
    Features.SignExt |
    Features.NontrappingFPToInt |
    Features.MutableGlobals |
    Features.ReferenceTypes |
    Features.Multivalue,
);
const defined = [];
for (let index = 0; index < module.getNumFunctions(); index += 1) {
  const info = binaryen.getFunctionInfo(module.getFunctionByIndex(index));
  if (!info.module) defined.push(info);
}
const bodies = functionBodies(bytes);
if (bodies.length !== defined.length) {
  fail(`the code section has ${bodies.length} bodies, binaryen read ${defined.length} functions`);
}
for (const index of greedyOrder(bodies)) {
  const { name, params, results, vars, body } = defined[index];
  module.removeFunction(name);
  module.addFunction(name, params, results, vars, body);
}
if (!module.validate()) fail('the reordered module does not validate');
const ordered = module.emitBinary();
module.dispose();

const after = new WebAssembly.Module(ordered);
const described = (wasm) =>
  JSON.stringify([WebAssembly.Module.imports(wasm), WebAssembly.Module.exports(wasm)]);
if (described(after) !== described(before)) fail('the imports or exports changed');
writeFileSync(output, ordered);
