// The dashboard a PM opens at /dashboard/, in headless Chromium against a real collector with an
// admin key and a small history sent as batches (the hand-computed one of
// collector/tests/metrics.rs under the write key `dev`, and a second app under `other`). A PM
// signs in (a wrong key first), goes through every page with the keyboard, in English and in
// Japanese, and every figure on screen is compared with the API's answer for the same query,
// fetched here with the key and written here with `Intl`: a page that shows any other number
// fails. Also: the key is sent in the header and never appears in a URL, it lives in
// sessionStorage only, axe-core finds nothing on any page in either language, the CSV
// downloads are the API's CSV, and the filters (as of, write key) apply to every page.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ROOT, focusedLabel, launchBrowser, newPage, startCollector } from './harness.mjs';
import { DICTIONARY } from '../../dashboard/i18n.js';

const ADMIN_KEY = 'e2e-admin-7c41f09d2b';
const AS_OF = '2026-11-30';
const AXE = join(ROOT, 'node_modules', 'axe-core', 'axe.min.js');
const UPLOT = join(ROOT, 'dashboard', 'vendor', 'uPlot.iife.min.js');

let collector;
let browser;

// ---------------------------------------------------------------------------------------------
// The history.

/** Events of one app: `event(type, [anonymousId, userId], day, fields)`. */
function events(prefix, build) {
  let id = 0;
  const list = [];
  build((type, [anonymousId, userId], day, fields = {}) => {
    id += 1;
    const event = { messageId: `${prefix}-${id}`, type, timestamp: `${day}T10:00:00.000Z`, anonymousId, ...fields };
    if (userId) event.userId = userId;
    list.push(event);
  });
  return list;
}

const november = (day) => `2026-11-${String(day).padStart(2, '0')}`;

/** collector/tests/metrics.rs's history: acme (u-1, u-2), globex (u-3) and a visitor. */
const demoHistory = () => events('dev', (event) => {
  const u1 = ['a-1', 'u-1'];
  event('identify', u1, '2026-10-25', { traits: { role: 'admin', signed_up_at: '2026-10-25' } });
  event('group', u1, '2026-10-25', { groupId: 'acme', traits: { seats: 4, created_at: '2026-10-01' } });
  for (let day = 1; day <= 30; day += 1) event('track', u1, november(day), { event: 'invoice.approved', properties: { manual: true } });
  event('track', u1, '2026-11-29', { event: 'invoice.opened' });
  event('track', u1, '2026-11-15', { event: 'experience_shown', properties: {
    rule_id: 'automate-approvals', variant: 'treatment', experience_id: 'automate-invoices', experience_type: 'prompt' } });
  event('track', u1, '2026-11-20', { event: 'automation.created' });
  const u2 = ['a-2', 'u-2'];
  event('identify', u2, '2026-10-15', { traits: { role: 'viewer' } });
  event('group', u2, '2026-10-15', { groupId: 'acme' });
  event('track', u2, '2026-10-15', { event: 'invoice.approved' });
  event('track', u2, '2026-10-16', { event: 'feature_entry_seen', properties: { feature: 'reports.export' } });
  const u3 = ['a-3', 'u-3'];
  event('group', u3, '2026-11-10', { groupId: 'globex' });
  event('track', u3, '2026-11-10', { event: 'experience_held_out', properties: {
    rule_id: 'automate-approvals', variant: 'holdout', experience_id: 'automate-invoices', experience_type: 'prompt' } });
  event('track', u3, '2026-11-25', { event: 'invoice.opened' });
  event('track', ['a-9', null], '2026-11-28', { event: 'invoice.approved' });
});

/** A second app: initech, whose second user stopped in October (its active users fall by half). */
const otherHistory = () => events('other', (event) => {
  const o1 = ['b-1', 'o-1'];
  const o2 = ['b-2', 'o-2'];
  event('identify', o1, '2026-09-20', { traits: { role: 'approver', signed_up_at: '2026-09-20' } });
  event('group', o1, '2026-09-20', { groupId: 'initech', traits: { seats: 10, created_at: '2026-09-01' } });
  event('group', o2, '2026-09-22', { groupId: 'initech' });
  for (let day = 1; day <= 30; day += 3) {
    event('track', o1, november(day), { event: 'invoice.opened' });
    event('track', o1, `2026-10-${String(day).padStart(2, '0')}`, { event: 'report.exported' });
    event('track', o2, `2026-10-${String(day).padStart(2, '0')}`, { event: 'invoice.approved' });
  }
});

async function send(writeKey, list) {
  for (let start = 0; start < list.length; start += 10) {
    const response = await fetch(`${collector.url}/v1/batch`, {
      method: 'POST',
      body: JSON.stringify({ batch: list.slice(start, start + 10), writeKey }),
    });
    assert.equal(response.status, 200, await response.text());
  }
}

// ---------------------------------------------------------------------------------------------
// The API, asked here with the key, and the figures written as the page must write them.

function metricsUrl(endpoint, params) {
  const query = new URLSearchParams(Object.entries(params).filter(([, value]) => value !== '' && value !== undefined));
  return `${collector.url}/v1/metrics/${endpoint}?${query}`;
}

async function api(endpoint, params = {}) {
  const response = await fetch(metricsUrl(endpoint, params), { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
  assert.equal(response.status, 200, `${endpoint}: ${await response.clone().text()}`);
  return response.json();
}

async function apiCsv(endpoint, params = {}) {
  const response = await fetch(metricsUrl(endpoint, { ...params, format: 'csv' }), { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
  assert.equal(response.status, 200);
  return response.text();
}

/** How a figure is written: counts grouped, ratios as percentages with one decimal, null as a dash. */
function writer(language) {
  const words = DICTIONARY[language];
  const number = (options, scale = 1, suffix = '') => {
    const format = new Intl.NumberFormat(language, options);
    return (value) => (value === null || value === undefined ? words.notAvailable : format.format(value * scale) + suffix);
  };
  const count = number({ maximumFractionDigits: 0 });
  return {
    words,
    count,
    decimal: number({ maximumFractionDigits: 2 }),
    oneDecimal: number({ minimumFractionDigits: 1, maximumFractionDigits: 1 }),
    percent: number({ style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1 }),
    trend: number({ style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1, signDisplay: 'exceptZero' }),
    points: number({ minimumFractionDigits: 1, maximumFractionDigits: 1, signDisplay: 'exceptZero' }, 100, words.pp),
    days: (value) => (value === null ? words.notReached : count(value)),
  };
}

/** The barrier that holds back most users, as the features page must name it. */
function mainBarrier(barriers) {
  const ranked = ['unaware', 'stuck', 'unconvinced'].filter((name) => barriers[name] > 0)
    .sort((a, b) => barriers[b] - barriers[a]);
  return ranked[0] ?? 'none';
}

// ---------------------------------------------------------------------------------------------
// The page.

/** A table's body rows as `{column key: text}`, without what is hidden from screen readers. */
function readTable(page, name) {
  return page.locator(`table[data-table="${name}"]`).evaluate((table) => [...table.tBodies[0].rows].map((row) =>
    Object.fromEntries([...row.cells].map((cell) => {
      const copy = cell.cloneNode(true);
      for (const hidden of copy.querySelectorAll('[aria-hidden="true"], .visually-hidden')) hidden.remove();
      for (const lineBreak of copy.querySelectorAll('br')) lineBreak.replaceWith(' ');
      return [cell.dataset.key, copy.textContent.replace(/\s+/g, ' ').trim()];
    }))));
}

/** `rows` with only `keys`, in order. */
const only = (rows, keys) => rows.map((row) => Object.fromEntries(keys.map((key) => [key, row[key]])));

/** Waits until the page shows the figures of the route in the address bar. */
async function pageReady(page) {
  await page.waitForFunction(() => {
    const main = document.getElementById('main');
    return !main.hasAttribute('aria-busy') && main.dataset.route === location.hash && main.querySelector('.meta');
  });
}

/** The page's "as of" and config versions; each must be the API's. */
async function checkComputedUnder(page, ...answers) {
  const meta = await page.locator('main .meta').evaluate((line) => ({
    asOf: line.querySelector('[data-as-of]').dataset.asOf,
    versions: [...line.querySelectorAll('[data-config-version]')].map((code) => code.textContent),
  }));
  assert.equal(meta.asOf, answers[0].as_of);
  assert.deepEqual(meta.versions, [...new Set(answers.map((answer) => answer.config_version))]);
  assert.match(meta.versions[0], /^[0-9a-f]{16}$/);
}

async function checkOverview(page, language, filters) {
  const f = writer(language);
  const [activity, users] = await Promise.all([api('activity', filters), api('users', { ...filters, limit: 1 })]);
  await checkComputedUnder(page, activity, users);
  const last = activity.activity.at(-1);
  const kpis = await page.locator('[data-kpi]').evaluateAll((cells) => Object.fromEntries(cells.map((cell) => [cell.dataset.kpi, cell.textContent])));
  assert.deepEqual(kpis, { dau: f.decimal(last.dau), wau: f.count(last.wau), mau: f.count(last.mau), dau_mau: f.percent(last.dau_mau), total: f.count(users.total) });
  assert.equal(activity.activity.length, 90);
  assert.deepEqual(await readTable(page, 'activity'), activity.activity.map((point) => ({
    day: point.day, dau: f.decimal(point.dau), wau: f.count(point.wau), mau: f.count(point.mau), dau_mau: f.percent(point.dau_mau),
    'lifecycle.new': f.count(point.lifecycle.new), 'lifecycle.returning': f.count(point.lifecycle.returning),
    'lifecycle.resurrecting': f.count(point.lifecycle.resurrecting), 'lifecycle.dormant': f.count(point.lifecycle.dormant),
  })));
  const share = (count) => f.percent(users.total ? count / users.total : null);
  assert.deepEqual(only(await readTable(page, 'levels'), ['level', 'users', 'share']), [0, 1, 2, 3, 4, 5].map((level) => ({
    level: `L${level}`, users: f.count(users.counts.levels[`L${level}`]), share: share(users.counts.levels[`L${level}`]),
  })));
  assert.deepEqual(only(await readTable(page, 'recency'), ['recency', 'users', 'share']), ['new', 'active', 'at_risk', 'dormant'].map((name) => ({
    recency: f.words[`recency.${name}`], users: f.count(users.counts.recency[name]), share: share(users.counts.recency[name]),
  })));
  // Four charts drawn by uPlot, each an image with a text alternative.
  await page.waitForFunction(() => document.querySelectorAll('.chart canvas').length === 4);
  const labels = await page.locator('.chart[role="img"]').evaluateAll((charts) => charts.map((chart) => chart.getAttribute('aria-label')));
  assert.equal(labels.length, 4);
  assert.ok(labels[0].includes(`${f.words['col.dau']} ${f.decimal(last.dau)}`), labels[0]);
  return { activity, users };
}

async function checkFeatures(page, language, filters) {
  const f = writer(language);
  const { features, ...answer } = await api('features', filters);
  await checkComputedUnder(page, answer);
  assert.ok(features.length > 0);
  const feature = (row) => `${row.name} ${row.feature}`;
  assert.deepEqual(await readTable(page, 'adoption'), features.map((row) => ({
    feature: feature(row), tier: f.words[`tier.${row.tier}`], active_users: f.count(row.active_users), adopters: f.count(row.adopters),
    adoption_rate: f.percent(row.adoption_rate), target: `${f.percent(row.target_low)}–${f.percent(row.target_high)}`,
    verdict: f.words[`verdict.${row.verdict}`], users_ever: f.count(row.users_ever),
  })));
  const frequencies = ['daily', 'weekly', 'monthly', 'lapsed', 'never'];
  assert.deepEqual(only(await readTable(page, 'frequency'), ['feature', ...frequencies.map((name) => `frequency.${name}`)]),
    features.map((row) => ({ feature: feature(row), ...Object.fromEntries(frequencies.map((name) => [`frequency.${name}`, f.count(row.frequency[name])])) })));
  const barriers = ['unaware', 'stuck', 'unconvinced', 'none'];
  assert.deepEqual(await readTable(page, 'barriers'), features.map((row) => ({
    feature: feature(row),
    ...Object.fromEntries(barriers.map((name) => [`barriers.${name}`, f.count(row.barriers[name])])),
    nudge: f.words[`nudge.${mainBarrier(row.barriers)}`],
  })));
  await page.waitForFunction(() => document.querySelectorAll('.chart canvas').length === 1);
  return features;
}

async function checkAccounts(page, language, filters, sort = {}) {
  const f = writer(language);
  const { accounts, ...answer } = await api('accounts', { ...filters, ...sort });
  await checkComputedUnder(page, answer);
  assert.ok(accounts.length > 0);
  const manyApps = new Set(accounts.map((row) => row.write_key)).size > 1;
  assert.deepEqual(await readTable(page, 'accounts'), accounts.map((row) => ({
    account: row.account,
    ...(manyApps ? { write_key: row.write_key } : {}),
    status: row.at_risk
      ? [f.words['status.atRisk'], row.risks.split(' ').filter(Boolean).map((risk) => f.words[`risk.${risk}`]).join(', ')].join(' ').trim()
      : f.words['status.ok'],
    health: f.oneDecimal(row.health),
    trend: f.trend(row.trend),
    dau_mau: f.percent(row.dau_mau),
    breadth: f.percent(row.breadth),
    active_users: f.count(row.active_users),
    active_users_before: f.count(row.active_users_before),
    users_seen: f.count(row.users_seen),
    seats: f.count(row.seats),
    mean_depth: f.percent(row.mean_depth),
    time_to_first_value: f.days(row.time_to_first_value),
  })));
  return accounts;
}

async function checkCampaigns(page, language, filters) {
  const f = writer(language);
  const { campaigns, ...answer } = await api('campaigns', filters);
  await checkComputedUnder(page, answer);
  assert.ok(campaigns.length > 0);
  const significance = (value) => (value === null ? f.words['significant.none'] : value ? f.words.yes : f.words.no);
  assert.deepEqual(await readTable(page, 'lift'), campaigns.map((row) => ({
    rule: row.rule, 'treatment.conversion': f.percent(row.treatment.conversion), 'holdout.conversion': f.percent(row.holdout.conversion),
    lift: f.points(row.lift), lift_low: f.points(row.lift_low), lift_high: f.points(row.lift_high), significant: significance(row.significant),
  })));
  for (const row of campaigns) {
    assert.deepEqual(await readTable(page, `arms:${row.rule}`), ['treatment', 'holdout'].map((arm) => ({
      arm: f.words[`arm.${arm}`], exposed: f.count(row[arm].exposed), interacted: f.count(row[arm].interacted),
      converted: f.count(row[arm].converted), conversion: f.percent(row[arm].conversion),
    })));
  }
  return campaigns;
}

function userCells(f, row) {
  return {
    user_id: row.anonymous ? `${row.user_id} ${f.words['users.anonymous']}` : row.user_id,
    account: row.account ?? f.words.notAvailable,
    level: `L${row.level}`,
    recency: f.words[`recency.${row.recency}`],
    depth: f.percent(row.depth),
    active_days_28: f.count(row.active_days_28),
    last_active: row.last_active,
    first_seen: row.first_seen,
    time_to_first_value: f.days(row.time_to_first_value),
  };
}

async function checkUsers(page, language, filters) {
  const f = writer(language);
  const { users, ...answer } = await api('users', { ...filters, limit: 50 });
  await checkComputedUnder(page, answer);
  assert.ok(users.length > 0);
  assert.deepEqual(await readTable(page, 'users'), users.map((row) => userCells(f, row)));
  assert.equal(await page.locator('[data-total]').getAttribute('data-total'), String(answer.total));
  return { users, total: answer.total };
}

async function checkUser(page, language, filters, id) {
  const f = writer(language);
  const [{ users, ...answer }, { features }] = await Promise.all([api('users', { ...filters, user: id }), api('features', filters)]);
  await checkComputedUnder(page, answer);
  assert.equal(users.length, 1);
  const [row] = users;
  const facts = await page.locator('[data-fact]').evaluateAll((cells) => Object.fromEntries(cells.map((cell) => [cell.dataset.fact, cell.textContent])));
  const expected = userCells(f, row);
  assert.deepEqual(only([facts], ['account', 'depth', 'active_days_28', 'last_active', 'first_seen', 'time_to_first_value'])[0],
    only([expected], ['account', 'depth', 'active_days_28', 'last_active', 'first_seen', 'time_to_first_value'])[0]);
  assert.equal(facts.level, `L${row.level} ${f.words[`level.${row.level}`]}`);
  assert.ok(facts.recency.startsWith(f.words[`recency.${row.recency}`]), facts.recency);
  const names = new Map(features.map((feature) => [feature.feature, feature.name]));
  assert.deepEqual(await readTable(page, `features:${row.write_key}`), Object.entries(row.features).map(([feature, standing]) => ({
    feature: `${names.get(feature)} ${feature}`, frequency: f.words[`frequency.${standing.frequency}`],
    barrier: f.words[`barrier.${standing.barrier}`], uses: f.count(standing.uses), nudge: f.words[`nudge.${standing.barrier}`],
  })));
  return row;
}

async function axeViolations(page) {
  const violations = await page.evaluate(async () => (await window.axe.run(document)).violations);
  return violations.map((violation) => `${violation.id}: ${violation.help} (${violation.nodes.map((node) => node.target.join(' ')).join('; ')})`);
}

/**
 * Moves the focus to the element labelled `label` (sort marks aside) with Shift+Tab, then Tab
 * (60 presses each at most).
 */
async function focusWithKeyboard(page, label) {
  for (const key of ['Shift+Tab', 'Tab']) {
    for (let presses = 0; presses < 60; presses += 1) {
      if ((await focusedLabel(page))?.replace(/[▲▼↕]/g, '').trim() === label) return;
      await page.keyboard.press(key);
    }
  }
  throw new Error(`${label} never got the focus with the keyboard; it is on ${await focusedLabel(page)}`);
}

/** Goes to a page with the keyboard: its link in the navigation, then Enter; its heading gets the focus. */
async function openWithKeyboard(page, linkLabel, heading) {
  await focusWithKeyboard(page, linkLabel);
  assert.notEqual(await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle), 'none', `${linkLabel}: focus visible`);
  await page.keyboard.press('Enter');
  await pageReady(page);
  assert.deepEqual(await page.evaluate(() => [document.activeElement.tagName, document.activeElement.textContent]), ['H1', heading]);
}

/** A download started by the button labelled `label`: its file name and its text. */
async function download(page, label) {
  const [file] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: label, exact: true }).first().click()]);
  return { name: file.suggestedFilename(), text: await readFile(await file.path(), 'utf8') };
}

/** Every context a test opened, closed after the tests however they end. */
const contexts = [];

/**
 * A new browser context (a new browser session) on the dashboard's sign-in page, which records
 * every URL it asks for or shows and the Authorization header of each metrics request.
 */
async function dashboardContext(options = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...options });
  contexts.push(context);
  // axe-core runs in the page before the dashboard's own scripts: the page's CSP allows no other.
  await context.addInitScript({ path: AXE });
  context.urls = [];
  context.metricsHeaders = [];
  context.on('request', (request) => {
    context.urls.push(request.url());
    if (new URL(request.url()).pathname.startsWith('/v1/metrics/')) context.metricsHeaders.push(request.headers().authorization);
  });
  const page = await newPage(context);
  page.on('framenavigated', (frame) => context.urls.push(frame.url()));
  await page.goto(`${collector.url}/dashboard/`);
  return { context, page };
}

async function signIn(page, key) {
  await page.getByLabel(DICTIONARY.en['signIn.key']).fill(key);
  await page.getByLabel(DICTIONARY.en['signIn.key']).press('Enter');
}

before(async () => {
  assert.ok(existsSync(UPLOT), 'dashboard/vendor/ has no uPlot: run scripts/install');
  collector = await startCollector({
    extraArgs: ['--admin-key', ADMIN_KEY, '--dashboard', join(ROOT, 'dashboard'), '--write-key', 'other'],
  });
  await send('dev', demoHistory());
  await send('other', otherHistory());
  browser = await launchBrowser();
});

after(async () => {
  await Promise.all(contexts.map((context) => context.close().catch(() => {})));
  await browser?.close();
  await collector?.stop();
});

test('a wrong key is refused with the API’s message; the right one is kept in sessionStorage only', async () => {
  const { context, page } = await dashboardContext({ locale: 'en-US' });
  assert.equal(await page.locator('html').getAttribute('lang'), 'en');
  assert.deepEqual(await axeViolations(page), [], 'the sign-in page');
  const refusal = await (await fetch(`${collector.url}/v1/metrics/users`, { headers: { authorization: 'Bearer wrong-key' } })).json();
  await signIn(page, 'wrong-key');
  await page.getByRole('alert').filter({ hasText: refusal.error }).waitFor();
  assert.equal(await page.getByRole('alert').textContent(), DICTIONARY.en['signIn.refused'].replace('{message}', refusal.error));
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);

  await signIn(page, ADMIN_KEY);
  await pageReady(page);
  assert.deepEqual(await page.evaluate(() => [document.activeElement.tagName, document.activeElement.textContent]), ['H1', 'Overview']);
  const stored = await page.evaluate(() => ({
    session: Object.fromEntries(Object.entries(sessionStorage)),
    local: JSON.stringify(Object.entries(localStorage)),
    cookies: document.cookie,
  }));
  assert.deepEqual(Object.values(stored.session), [ADMIN_KEY]);
  assert.ok(!stored.local.includes(ADMIN_KEY) && !stored.cookies.includes(ADMIN_KEY));

  // Another tab, or the next browser session, has to sign in again.
  const tab = await context.newPage();
  await tab.goto(`${collector.url}/dashboard/#/accounts`);
  await tab.getByRole('heading', { name: 'Sign in' }).waitFor();
  const { context: later, page: laterPage } = await dashboardContext();
  await laterPage.getByRole('heading', { name: 'Sign in' }).waitFor();
  await later.close();

  // Signing out forgets the key; the pages then ask for it.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);
  const asked = context.metricsHeaders.length;
  await page.evaluate(() => { location.hash = '#/features'; });
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  assert.equal(context.metricsHeaders.length, asked, 'no metrics are asked for without the key');

  assert.ok(context.metricsHeaders.length >= 3);
  assert.ok(context.metricsHeaders.every((header) => header === `Bearer ${ADMIN_KEY}` || header === 'Bearer wrong-key'));
  assert.deepEqual(context.urls.filter((url) => url.includes(ADMIN_KEY) || url.includes('wrong-key')), []);
  assert.deepEqual(page.uncaughtErrors, []);
  await context.close();
});

test('every page shows the API’s figures, in English and in Japanese, through the keyboard, with no axe violation', async () => {
  const { context, page } = await dashboardContext({ locale: 'en-US' });
  await signIn(page, ADMIN_KEY);
  await pageReady(page);

  // On a page just loaded, the skip link comes first and takes the focus to the content.
  await page.reload();
  await pageReady(page);
  await page.keyboard.press('Tab');
  assert.equal(await focusedLabel(page), 'Skip to content');
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'main');

  // The day every page is computed for, chosen once.
  await page.locator('#as-of').fill(AS_OF);
  await page.locator('#as-of').press('Enter');
  await page.waitForFunction((day) => document.querySelector('[data-as-of]')?.dataset.asOf === day, AS_OF);
  const filters = { as_of: AS_OF };

  for (const language of ['en', 'ja']) {
    const words = DICTIONARY[language];
    if (language === 'ja') {
      await page.locator('#language').selectOption('ja');
      await page.waitForFunction(() => document.documentElement.lang === 'ja');
      assert.equal(await page.locator('h1').textContent(), words['overview.title']);
    }
    const title = (key) => words[key];

    await openWithKeyboard(page, words['nav.features'], title('features.title'));
    await checkFeatures(page, language, filters);
    assert.deepEqual(await axeViolations(page), [], `features (${language})`);

    await openWithKeyboard(page, words['nav.accounts'], title('accounts.title'));
    await checkAccounts(page, language, filters);
    assert.deepEqual(await axeViolations(page), [], `accounts (${language})`);
    // Sorting by health with the keyboard: the API's order, ascending then descending.
    const health = words['col.health'];
    await focusWithKeyboard(page, health);
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => location.hash.includes('sort=health&order=asc'));
    await pageReady(page);
    assert.equal(await page.evaluate(() => document.activeElement.dataset.sort), 'health', 'the focus stays on the sort button');
    assert.equal(await page.locator('th[data-key="health"]').getAttribute('aria-sort'), 'ascending');
    await checkAccounts(page, language, filters, { sort: 'health', order: 'asc' });
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => location.hash.includes('sort=health&order=desc'));
    await pageReady(page);
    await checkAccounts(page, language, filters, { sort: 'health', order: 'desc' });
    assert.equal(await page.locator('th[data-key="health"]').getAttribute('aria-sort'), 'descending');

    await openWithKeyboard(page, words['nav.campaigns'], title('campaigns.title'));
    await checkCampaigns(page, language, filters);
    assert.deepEqual(await axeViolations(page), [], `campaigns (${language})`);

    await openWithKeyboard(page, words['nav.users'], title('users.title'));
    await checkUsers(page, language, filters);
    assert.deepEqual(await axeViolations(page), [], `users (${language})`);

    // One user's page, from the users table.
    await focusWithKeyboard(page, 'u-1');
    await page.keyboard.press('Enter');
    await pageReady(page);
    assert.deepEqual(await page.evaluate(() => [document.activeElement.tagName, document.activeElement.textContent]),
      ['H1', words['user.title'].replace('{id}', 'u-1')]);
    const u1 = await checkUser(page, language, filters, 'u-1');
    assert.equal(u1.level, 5);
    assert.deepEqual(await axeViolations(page), [], `user (${language})`);

    await openWithKeyboard(page, words['nav.overview'], title('overview.title'));
    await checkOverview(page, language, filters);
    assert.deepEqual(await axeViolations(page), [], `overview (${language})`);
  }
  assert.equal(await page.locator('nav a[aria-current="page"]').textContent(), DICTIONARY.ja['nav.overview']);
  assert.deepEqual(context.urls.filter((url) => url.includes(ADMIN_KEY)), [], 'the key is in no URL');
  assert.ok(context.urls.some((url) => url === `${collector.url}/dashboard/vendor/uPlot.iife.min.js`), 'uPlot is served by the collector');
  assert.ok(context.urls.every((url) => url.startsWith(collector.url) || url.startsWith('blob:') || url === 'about:blank'), 'no other origin');
  assert.deepEqual(page.uncaughtErrors, []);
  await context.close();
});

test('the checks fail when the page shows another number', async () => {
  const { context, page } = await dashboardContext({ locale: 'en-US' });
  await signIn(page, ADMIN_KEY);
  await pageReady(page);
  await page.evaluate((day) => { location.hash = `#/features?as_of=${day}`; }, AS_OF);
  await pageReady(page);
  await checkFeatures(page, 'en', { as_of: AS_OF });
  await page.locator('table[data-table="adoption"] td[data-key="adoption_rate"]').first().evaluate((cell) => { cell.textContent = '66.6%'; });
  await assert.rejects(checkFeatures(page, 'en', { as_of: AS_OF }), assert.AssertionError);
  await page.locator('table[data-table="barriers"] td[data-key="nudge"]').first().evaluate((cell) => { cell.textContent = 'No nudge needed'; });
  await assert.rejects(checkFeatures(page, 'en', { as_of: AS_OF }), assert.AssertionError);
  await context.close();
});

test('the filters apply to every page, and each table downloads as the API’s CSV', async () => {
  const { context, page } = await dashboardContext({ locale: 'en-US' });
  await signIn(page, ADMIN_KEY);
  await pageReady(page);

  // Looking back: as of 2026-11-10 the campaign had no exposure yet.
  await page.locator('#as-of').fill('2026-11-10');
  await page.locator('#as-of').press('Enter');
  await page.waitForFunction(() => document.querySelector('[data-as-of]')?.dataset.asOf === '2026-11-10');
  await page.getByRole('link', { name: 'Campaigns' }).click();
  await pageReady(page);
  const before = await checkCampaigns(page, 'en', { as_of: '2026-11-10' });
  assert.equal(before.find((row) => row.rule === 'automate-approvals').treatment.exposed, 0);

  // One app: the other write key's users and accounts only.
  await page.locator('#as-of').fill(AS_OF);
  await page.locator('#write-key').fill('other');
  await page.locator('#write-key').press('Enter');
  await page.waitForFunction(() => location.hash.includes('write_key=other'));
  await pageReady(page);
  const other = { as_of: AS_OF, write_key: 'other' };
  await checkCampaigns(page, 'en', other);
  assert.match(await page.locator('main .meta').textContent(), /write key other/);
  await page.getByRole('link', { name: 'Users' }).click();
  await pageReady(page);
  const { total } = await checkUsers(page, 'en', other);
  assert.equal(total, 2);
  await page.getByRole('link', { name: 'Accounts' }).click();
  await pageReady(page);
  const accounts = await checkAccounts(page, 'en', other);
  assert.deepEqual(accounts.map((row) => [row.account, row.at_risk]), [['initech', true]]);
  for (const link of await page.locator('nav a[data-page]').evaluateAll((links) => links.map((a) => a.getAttribute('href')))) {
    assert.ok(link.endsWith(`?as_of=${AS_OF}&write_key=other`), link);
  }

  // CSV: what the API writes, saved under a name that says what and when.
  const accountsCsv = await download(page, 'Download CSV: Account health');
  assert.deepEqual(accountsCsv, { name: `uptake-accounts-${AS_OF}.csv`, text: await apiCsv('accounts', { ...other, sort: 'risk', order: 'asc' }) });
  assert.ok(accountsCsv.text.split('\n')[1].includes('initech'));

  await page.locator('#write-key').fill('');
  await page.locator('#write-key').press('Enter');
  await page.waitForFunction(() => !location.hash.includes('write_key'));
  await pageReady(page);
  const all = { as_of: AS_OF };
  const allAccounts = await checkAccounts(page, 'en', all);
  assert.deepEqual(allAccounts.map((row) => row.account), ['initech', 'globex', 'acme'], 'at risk first, then by health');
  assert.equal((await download(page, 'Download CSV: Account health')).text, await apiCsv('accounts', all));

  await page.getByRole('link', { name: 'Features' }).click();
  await pageReady(page);
  for (const table of ['Adoption', 'Frequency mix (the last 28 days)', 'Barriers and the nudge each calls for']) {
    assert.deepEqual(await download(page, `Download CSV: ${table}`), { name: `uptake-features-${AS_OF}.csv`, text: await apiCsv('features', all) });
  }
  await page.getByRole('link', { name: 'Campaigns' }).click();
  await pageReady(page);
  assert.equal((await download(page, 'Download CSV: Lift per campaign')).text, await apiCsv('campaigns', all));
  assert.equal((await download(page, 'Download CSV: Treatment against holdout: automate-approvals')).text,
    await apiCsv('campaigns', { ...all, rule: 'automate-approvals' }));
  await page.getByRole('link', { name: 'Users' }).click();
  await pageReady(page);
  const usersCsv = await download(page, 'Download CSV: all 6 users');
  assert.deepEqual(usersCsv, { name: `uptake-users-${AS_OF}.csv`, text: await apiCsv('users', { ...all, limit: 1000 }) });
  assert.equal(usersCsv.text.trim().split('\n').length, 7);
  await page.getByRole('link', { name: 'Overview' }).click();
  await pageReady(page);
  await checkOverview(page, 'en', all);
  await page.getByText('The numbers of this chart as a table').click();
  assert.equal((await download(page, 'Download CSV: Activity per day')).text, await apiCsv('activity', all));
  assert.equal((await download(page, 'Download CSV: the users behind these counts')).text, await apiCsv('users', { ...all, limit: 1000 }));
  assert.deepEqual(page.uncaughtErrors, []);
  await context.close();
});

test('the language follows the browser’s until one is chosen', async () => {
  const { context, page } = await dashboardContext({ locale: 'ja-JP' });
  await page.getByRole('heading', { name: DICTIONARY.ja['signIn.title'] }).waitFor();
  assert.equal(await page.locator('html').getAttribute('lang'), 'ja');
  assert.equal(await page.locator('#skip-link').textContent(), DICTIONARY.ja.skip);
  assert.deepEqual(await axeViolations(page), [], 'the sign-in page in Japanese');
  await page.locator('#language').selectOption('en');
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await page.reload();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  assert.equal(await page.locator('html').getAttribute('lang'), 'en');
  await context.close();
});
