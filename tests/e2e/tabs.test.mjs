// One user in several tabs, in headless Chromium against the real collector: uses recorded in
// turn in two (and three) tabs, some of them reloaded on the way, add up exactly in every tab and
// in a page opened afterwards; the prompt their sum calls for shows once, in the tab where the
// use that completed it happened, never in two tabs at once, and stays dismissed everywhere.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { collectorAndBrowser, eventually, fixtureHtml, newPage, sdkReady } from './harness.mjs';

const shared = collectorAndBrowser();

const CONFIG = {
  version: 1,
  features: [{ id: 'approve', name: 'Approve invoices', events: ['invoice.approved'] }],
  rules: [{
    id: 'suggest',
    when: { event: 'invoice.approved', count: { gte: 5 }, within: '7d' },
    show: { prompt: 'automate' },
    // It may show again, so another tab whose uses call for it must not while it is on screen.
    frequency: { max_shows: 3, stop_when: ['dismissed'] },
  }],
  prompts: [{ id: 'automate', title: 'Automate your approvals?', buttons: [{ label: 'Not now', action: 'dismiss' }] }],
};

/** A page of the app, where `user` is signed in. */
function appPage(user) {
  return fixtureHtml({ config: CONFIG, body: '<main><h1>Invoices</h1></main>' })
    .replace('window.uptake = await load(', 'const api = await load(')
    .replace('</script></head>', `api.identify('${user}', { role: 'admin' }); window.uptake = api;\n</script></head>`);
}

async function openTab(context, user) {
  const page = await newPage(context);
  await page.goto(`${shared.collector.url}/tabs/${user}.html`);
  await sdkReady(page);
  return page;
}

function approvals(page) {
  return page.evaluate(() => window.uptake.featureUsage('approve'));
}

/** Whether the prompt is on screen in `page`. */
async function showsPrompt(page) {
  return (await page.getByRole('dialog', { name: 'Automate your approvals?' }).count()) > 0;
}

/** The rule's shows the collector stored for `user`. */
function shows(user) {
  return shared.collector.query(`SELECT count(*) FROM events WHERE event = 'experience_shown'
    AND user_id = '${user}' AND json_extract(body, '$.properties.rule_id') = 'suggest'`)[0][0];
}

/**
 * Records 30 uses in `tabs` turn by turn, `perTurn` at a time, reloading each tab after its turn
 * (unless it shows the prompt); before each turn, waits until the tab sees what the others
 * recorded (as a user switching tabs would), and notes which tabs show the prompt after it.
 */
async function takeTurns(tabs, perTurn, user) {
  const shown = [];
  let recorded = 0;
  for (let turn = 0; recorded < 30; turn += 1) {
    const index = turn % tabs.length;
    const tab = tabs[index];
    const seen = await eventually(async () => ((await approvals(tab))?.count ?? 0) === recorded || null, { timeout: 5_000 });
    assert.equal(seen, true, `tab ${index} saw the ${recorded} uses before its turn ${turn}`);
    await tab.evaluate((count) => {
      for (let use = 0; use < count; use += 1) window.uptake.track('invoice.approved', {});
    }, perTurn);
    recorded += perTurn;
    // The prompt is decided in the task that takes the calls in.
    await tab.evaluate(() => new Promise((resolve) => setTimeout(resolve, 50)));
    const showing = [];
    for (const [other, page] of tabs.entries()) {
      if (await showsPrompt(page)) showing.push(other);
    }
    shown.push({ turn, recorded, showing });
    if (!showing.includes(index)) {
      await tab.reload();
      await sdkReady(tab);
    }
  }
  return shown;
}

for (const count of [2, 3]) {
  test(`${count} tabs of one user recording uses in turn, with reloads: every count exact, one prompt, in one tab`, { timeout: 120_000 }, async () => {
    const user = `u-tabs-${count}`;
    const context = await shared.browser.newContext();
    await context.route(`${shared.collector.url}/tabs/**`, (route) => route.fulfill({ contentType: 'text/html', body: appPage(user) }));
    const tabs = [];
    for (let tab = 0; tab < count; tab += 1) tabs.push(await openTab(context, user));
    const perTurn = count === 2 ? 3 : 2;
    const turns = await takeTurns(tabs, perTurn, user);

    // One tab would show the prompt at the fifth use: here, in the tab whose turn reached it.
    const firstShown = turns.find(({ showing }) => showing.length > 0);
    assert.ok(firstShown, `the prompt showed (${JSON.stringify(turns)})`);
    const fifthUseTurn = Math.ceil(5 / perTurn) - 1;
    assert.equal(firstShown.turn, fifthUseTurn, `shown in the turn of the fifth use: ${JSON.stringify(turns)}`);
    assert.deepEqual(firstShown.showing, [fifthUseTurn % count], 'in the tab that recorded it');
    assert.ok(turns.every(({ showing }) => showing.length <= 1), `never in two tabs at once: ${JSON.stringify(turns)}`);

    // Dismissed there, it shows nowhere again, whatever the others record.
    const [shownIn] = firstShown.showing;
    const holder = tabs[shownIn];
    if (await showsPrompt(holder)) await holder.getByRole('button', { name: 'Not now' }).click();
    for (const tab of tabs) {
      await tab.evaluate(() => {
        for (let use = 0; use < 5; use += 1) window.uptake.track('invoice.approved', {});
      });
    }
    await eventually(async () => (await Promise.all(tabs.map(approvals))).every((usage) => usage.count === 30 + 5 * count) || null);
    for (const tab of tabs) assert.equal(await showsPrompt(tab), false, 'dismissed in one tab, shown in none');

    // Every tab, and a page opened afterwards, counts every use once, on one day.
    const later = await openTab(context, user);
    const expected = 30 + 5 * count;
    for (const page of [...tabs, later]) {
      const usage = await eventually(async () => {
        const seen = await approvals(page);
        return seen?.count === expected ? seen : null;
      });
      assert.equal(usage?.count, expected, 'every use once');
      assert.equal(usage.activeDays, 1);
    }
    // The parts of the pages reloaded away are folded into the user's base (3 s after a start):
    // at most one part per open tab is left (a tab that recorded nothing has none), and every
    // count stays exact.
    const open = [...tabs, later];
    const parts = () => later.evaluate((user) => Object.keys(localStorage)
      .filter((key) => key.startsWith('uptake:dev:tab:') && key.endsWith(`:state:u:${user}`)).length, user);
    const folded = await eventually(async () => (await parts()) <= open.length || null, { timeout: 15_000 });
    assert.equal(folded, true, `the parts of closed tabs were folded (${await parts()} parts for ${open.length} tabs)`);
    for (const page of open) assert.equal((await approvals(page)).count, expected, 'every use once, after the fold');
    await Promise.all([...tabs, later].map((page) => page.evaluate(() => window.uptake.flush())));
    assert.equal(shows(user), 1, 'the collector stored one show');
    const stored = shared.collector.query(`SELECT count(*) FROM events WHERE event = 'invoice.approved' AND user_id = '${user}'`)[0][0];
    assert.equal(stored, expected);
    for (const page of [...tabs, later]) assert.deepEqual(page.uncaughtErrors, []);
    await context.close();
  });
}

test('without Web Locks, a page folds its own part as it goes: reloads leave one part, and every count', { timeout: 60_000 }, async () => {
  const user = 'u-tabs-no-locks';
  const context = await shared.browser.newContext();
  await context.addInitScript(() => {
    Object.defineProperty(Navigator.prototype, 'locks', { get: () => undefined, configurable: true });
  });
  await context.route(`${shared.collector.url}/tabs/**`, (route) => route.fulfill({ contentType: 'text/html', body: appPage(user) }));
  const page = await openTab(context, user);
  for (let load = 0; load < 5; load += 1) {
    await page.evaluate(() => {
      for (let use = 0; use < 3; use += 1) window.uptake.track('invoice.approved', {});
    });
    await page.reload();
    await sdkReady(page);
  }
  assert.equal((await approvals(page)).count, 15);
  const parts = await page.evaluate((user) => Object.keys(localStorage)
    .filter((key) => key.startsWith('uptake:dev:tab:') && key.endsWith(`:state:u:${user}`)).length, user);
  assert.ok(parts <= 1, `${parts} parts after 5 reloads`);
  assert.deepEqual(page.uncaughtErrors, []);
  await context.close();
});

test('flush() in any tab resolves once the collector has its events, also where another tab sends', { timeout: 60_000 }, async () => {
  const user = 'u-tabs-flush';
  const context = await shared.browser.newContext();
  await context.route(`${shared.collector.url}/tabs/**`, (route) => route.fulfill({ contentType: 'text/html', body: appPage(user) }));
  const tabs = [await openTab(context, user), await openTab(context, user), await openTab(context, user)];
  const stored = () => shared.collector.query(`SELECT count(*) FROM events WHERE event = 'invoice.approved' AND user_id = '${user}'`)[0][0];
  let expected = 0;
  for (const tab of [...tabs].reverse()) {
    await tab.evaluate(async () => {
      for (let use = 0; use < 12; use += 1) window.uptake.track('invoice.approved', {});
      await window.uptake.flush();
    });
    expected += 12;
    assert.equal(stored(), expected, 'stored when flush() resolved');
  }
  for (const tab of tabs) assert.deepEqual(tab.uncaughtErrors, []);
  await context.close();
});
