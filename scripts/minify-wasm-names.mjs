// Renames the wasm's imports, exports and import module in wasm-bindgen's glue, after binaryen's
// `--minify-imports-and-exports-and-modules` gave them one- and two-letter names in the wasm.
// wasm-bindgen names each import after its JS function and a hash
// (`__wbg_fetch_21015a0a4570ab44`); the wasm and the glue both carry every name, and the hashes
// do not compress. `scripts/build-sdk` runs the pass, then this, before minifying the glue.
//
//   node scripts/minify-wasm-names.mjs <renamed wasm> <renaming printed by wasm-opt> <glue file>
//
// The glue is rewritten and checked: every import of the renamed wasm must be a key of the
// glue's import object exactly once, and every `wasm.<name>` the glue uses must be an export of
// the renamed wasm. Anything else stops the build, so a change in wasm-bindgen's glue fails here
// rather than in a browser.

import { readFileSync, writeFileSync } from 'node:fs';

const [wasmFile, renamingFile, glueFile] = process.argv.slice(2);
if (!wasmFile || !renamingFile || !glueFile) {
  console.error('usage: node scripts/minify-wasm-names.mjs <renamed wasm> <renaming printed by wasm-opt> <glue file>');
  process.exit(2);
}

function fail(message) {
  console.error(`minify-wasm-names: ${message}`);
  process.exit(1);
}

const renaming = JSON.parse(readFileSync(renamingFile, 'utf8'));

const module = new WebAssembly.Module(readFileSync(wasmFile));
const imports = WebAssembly.Module.imports(module);
const exports = new Set(WebAssembly.Module.exports(module).map((entry) => entry.name));
const modules = new Set(imports.map((entry) => entry.module));
if (modules.size !== 1) fail(`expected the imports to come from one module, found ${[...modules].join(', ')}`);
const [newModule] = modules;

const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
let glue = readFileSync(glueFile, 'utf8');

/**
 * Replaces `pattern` in the glue, which must match exactly `expected` times. `replacement` is a
 * function, so that a `$` in a new name is never read as a group reference.
 */
function replace(pattern, replacement, expected, what) {
  const found = glue.match(pattern)?.length ?? 0;
  if (found !== expected) fail(`${what}: found ${found} times in the glue, expected ${expected}`);
  glue = glue.replace(pattern, replacement);
}

const oldModules = new Set(renaming.imports.map(([oldModule]) => oldModule));
for (const oldModule of oldModules) {
  replace(new RegExp(`"${escape(oldModule)}": import0`, 'g'), () => `${JSON.stringify(newModule)}: import0`, 1, `module ${oldModule}`);
}
for (const [, oldName, newName] of renaming.imports) {
  replace(new RegExp(`^(\\s+)${escape(oldName)}: function\\(`, 'gm'), (_, indent) => `${indent}${JSON.stringify(newName)}: function(`, 1, `import ${oldName}`);
}
for (const [oldName, newName] of renaming.exports) {
  glue = glue.replace(new RegExp(`\\bwasm\\.${escape(oldName)}\\b`, 'g'), () => `wasm[${JSON.stringify(newName)}]`);
}

const keys = glue.match(/^\s+"[^"]+": function\(/gm)?.length ?? 0;
if (keys !== imports.length) fail(`the glue's import object has ${keys} renamed keys, the wasm ${imports.length} imports`);
const unknown = [...new Set(glue.match(/\bwasm\.[A-Za-z_$][\w$]*/g) ?? [])];
if (unknown.length > 0) fail(`the glue still uses exports by their old names: ${unknown.join(', ')}`);
for (const [, name] of glue.matchAll(/\bwasm\["([^"]+)"\]/g)) {
  if (!exports.has(name)) fail(`the glue uses wasm["${name}"], which the wasm does not export`);
}
writeFileSync(glueFile, glue);
