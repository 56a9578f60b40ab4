// Checks and compiles a PM's config with `uptake-collector compile`, as the collector does before
// serving it: the form the SDK reads, inline (`load({config})`) or from `GET /v1/config`. Used by
// the end-to-end tests and the browser benchmarks; the collector must be built
// (`target/debug/uptake-collector`, or UPTAKE_COLLECTOR_BIN).

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const COLLECTOR = process.env.UPTAKE_COLLECTOR_BIN || join(ROOT, 'target', 'debug', 'uptake-collector');

/** The compiled form of `config` (a config object), as JSON text. Throws on an invalid config. */
export function compileConfig(config) {
  const dir = mkdtempSync(join(tmpdir(), 'uptake-config-'));
  try {
    const file = join(dir, 'config.json');
    writeFileSync(file, JSON.stringify(config));
    return execFileSync(COLLECTOR, ['compile', file], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 }).trim();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
