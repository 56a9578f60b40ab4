// Shared pieces of the end-to-end tests: a real collector process on a free port of
// 127.0.0.1 with its own SQLite file, a real headless Chromium, and the database read back
// with Python's sqlite3 module, independently of the collector's code.

import { spawn, execFileSync } from 'node:child_process';
import { mkdtemp, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { createServer } from 'node:http';
import { before, after } from 'node:test';
import { chromium } from 'playwright-core';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const ARTIFACTS = join(ROOT, 'tests', 'artifacts');
const COLLECTOR = process.env.UPTAKE_COLLECTOR_BIN || join(ROOT, 'target', 'debug', 'uptake-collector');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/** Starts a collector serving the demo app and the built SDK; resolves once it listens. */
export async function startCollector({ config = join(ROOT, 'www', 'uptake.config.json') } = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'uptake-e2e-'));
  const database = join(dir, 'events.db');
  const args = ['serve', '--config', config, '--database', database, '--listen', '127.0.0.1:0',
    '--write-key', 'dev', '--www', join(ROOT, 'www'), '--sdk', join(ROOT, 'pkg')];
  const child = spawn(COLLECTOR, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const url = await new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the collector exited with ${code}`)));
    lines.once('line', (line) => {
      const match = line.match(/listening on (http:\/\/\S+?)\/? /);
      if (match) resolve(match[1]);
      else reject(new Error(`unexpected first line from the collector: ${line}`));
    });
  });
  return {
    url,
    database,
    query: (sql) => query(database, sql),
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Rows of a query on the collector's SQLite file, as arrays. */
export function query(database, sql) {
  const program = 'import json, sqlite3, sys\n' +
    'rows = sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchall()\n' +
    'print(json.dumps(rows))';
  return JSON.parse(execFileSync('python3', ['-c', program, database, sql], { encoding: 'utf8' }));
}

/** Headless Chromium from the system, as root-safe as the machine needs. */
export function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
}

/** A page that records uncaught errors, so a test can assert the SDK threw nothing. */
export async function newPage(context) {
  const page = await context.newPage();
  page.uncaughtErrors = [];
  page.on('pageerror', (error) => page.uncaughtErrors.push(error));
  return page;
}

/** Waits until the SDK has replaced the snippet's queue with its API. */
export async function sdkReady(page) {
  await page.waitForFunction(() => window.uptake && !Array.isArray(window.uptake), null, { timeout: 10_000 });
}

/** Polls `check` until it returns a truthy value or the time is up; returns its last value. */
export async function eventually(check, { timeout = 10_000, interval = 100 } = {}) {
  const deadline = Date.now() + timeout;
  let value = await check();
  while (!value && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, interval));
    value = await check();
  }
  return value;
}

export async function screenshot(page, name) {
  await mkdir(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, name);
  await page.screenshot({ path, animations: 'disabled' });
  return path;
}

/** Another web app on its own origin (a second port of 127.0.0.1) serving one HTML page. */
export async function startAppServer(html) {
  const server = createServer((request, response) => {
    response.writeHead(200, { 'content-type': 'text/html' });
    response.end(html);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    stop: () => new Promise((resolve) => server.close(resolve)),
  };
}

/** A collector and a browser for the tests of one file, started before them and stopped after. */
export function collectorAndBrowser() {
  const shared = {};
  before(async () => {
    shared.collector = await startCollector();
    shared.browser = await launchBrowser();
  });
  after(async () => {
    await shared.browser?.close();
    await shared.collector?.stop();
  });
  return shared;
}
