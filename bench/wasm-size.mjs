// What makes the SDK's wasm big: builds it with its function names kept, runs `twiggy top` on
// it and sums the functions' sizes by the part of the SDK they belong to.
//
//   node bench/wasm-size.mjs      (needs twiggy: `cargo install twiggy`)
//
// Sizes are of the code before wasm-opt, which shrinks all of it by about a tenth; the shares
// hold.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The parts, in the order a function is matched against them (first match wins). */
const PARTS = [
  ['data: strings and tables', /^data segment|^data\[/],
  ['config: the compiled form\'s reader, `where` tests, globs, texts (uptake_core::config)', /uptake_core::config/],
  ['rules: compiler, evaluator, usage state (uptake_core)', /uptake_core::(program|state|adoption|engine|rule)/],
  ['outbox and batching (uptake_core::outbox)', /uptake_core::outbox/],
  ['rest of the core', /uptake_core::/],
  ['serde and serde_json', /serde/],
  ['formatting numbers and strings (core::fmt, flt2dec)', /core\[\w+\]::fmt|flt2dec|::fmt::|Display|Debug|zmij/],
  ['allocator (talc)', /talc/],
  ['UI: tours, prompts, checklists, surveys (uptake::ui)', /uptake::ui/],
  ['client: the SDK\'s glue to the engine (uptake::client)', /uptake::client/],
  ['outbox storage and tab election (uptake::outbox_store)', /uptake::outbox_store/],
  ['rest of the SDK (uptake::)', /uptake::/],
  ['wasm-bindgen, js-sys, web-sys', /wasm_bindgen|js_sys|web_sys|__wbg|__wbindgen|externref/],
  ['std: BTreeMap, HashMap, Vec, VecDeque, iterators, sorting, drop glue', /core\[|alloc\[|std\[|core::|alloc::|std::|hashbrown/],
];

const work = mkdtempSync(join(tmpdir(), 'uptake-wasm-size-'));
try {
  const wasm = execFileSync(join(ROOT, 'scripts', 'build-wasm'), { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  execFileSync('wasm-bindgen', ['--target', 'web', '--no-typescript', '--keep-debug', '--out-dir', work, '--out-name', 'uptake',
    join(ROOT, wasm)]);
  const csv = execFileSync('twiggy', ['top', '-n', '1000000', '-f', 'csv', join(work, 'uptake_bg.wasm')], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  const totals = new Map([...PARTS.map(([part]) => [part, 0]), ['other', 0]]);
  for (const line of csv.trim().split('\n').slice(1)) {
    // Name,ShallowSize,...: names may hold commas and come quoted.
    const match = line.match(/^("(?:[^"]|"")*"|[^,]*),(\d+),/);
    if (!match) continue;
    const name = match[1].replace(/^"|"$/g, '');
    // The names section is debug information, which wasm-opt strips.
    if (/subsection/.test(name)) continue;
    const size = Number(match[2]);
    const part = PARTS.find(([, pattern]) => pattern.test(name))?.[0] ?? 'other';
    totals.set(part, totals.get(part) + size);
  }
  const all = [...totals.values()].reduce((sum, size) => sum + size, 0);
  console.log('| part of the wasm | KB | share |');
  console.log('| --- | ---: | ---: |');
  for (const [part, size] of [...totals].sort((a, b) => b[1] - a[1])) {
    console.log(`| ${part} | ${(size / 1024).toFixed(1)} | ${((100 * size) / all).toFixed(0)} % |`);
  }
  console.log(`| all code and data, before wasm-opt | ${(all / 1024).toFixed(1)} | 100 % |`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
