// The walking skeleton end to end: the demo app loads the SDK with a script tag, five manual
// approvals bring the "automate it?" prompt, and every event reaches the SQLite file once.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { collectorAndBrowser, sdkReady, eventually, screenshot } from './harness.mjs';

const shared = collectorAndBrowser();

const approveButton = (page, index) => page.locator('button.approve').nth(index);
const prompt = (page) => page.getByRole('dialog', { name: 'Automate invoice approval?' });

function eventCounts(rows) {
  const counts = {};
  for (const [name] of rows) counts[name] = (counts[name] || 0) + 1;
  return counts;
}

test('five approvals show the prompt; closing the page leaves every event stored once', async () => {
  const { context, page } = await shared.openDemo();
  const anonymousId = await page.evaluate(() => window.uptake.anonymousId());

  for (let index = 0; index < 4; index += 1) await approveButton(page, index).click();
  assert.equal(await prompt(page).count(), 0, 'no prompt after four approvals');
  await approveButton(page, 4).click();

  await prompt(page).waitFor({ state: 'visible' });
  const dialog = page.locator('uptake-root dialog.uptake-modal');
  assert.equal(await dialog.evaluate((node) => node.getRootNode() instanceof ShadowRoot), true, 'inside the shadow root');
  assert.equal(await dialog.locator('.uptake-body').textContent(),
    'You approved 5 invoices by hand this week. An automation can approve invoices like these for you, with the rules you choose.');
  assert.deepEqual(await dialog.locator('.uptake-button').allTextContents(), ['Show me automations', 'Not now']);
  assert.equal(await page.evaluate(() => document.activeElement.localName), 'uptake-root', 'focus moved into the prompt');
  await screenshot(page, 'prompt-modal.png');

  await page.keyboard.press('Escape');
  await prompt(page).waitFor({ state: 'detached' });
  assert.deepEqual(page.uncaughtErrors, []);
  // Count the requests that outlive the page as it goes away (the real fetch still sends them).
  await page.evaluate(() => {
    const send = window.fetch.bind(window);
    window.fetch = (url, init) => {
      if (init?.keepalive) {
        localStorage.setItem('test:keepalive', String(Number(localStorage.getItem('test:keepalive') || 0) + 1));
      }
      return send(url, init);
    };
  });
  await page.close({ runBeforeUnload: true });

  // Shown: the prompt, and the demo's checklist and hotspot; the first approval ticks an item.
  const expected = {
    identify: 1, page: 1, 'invoice.approved': 5, experience_shown: 3, experience_dismissed: 1, checklist_item_completed: 1,
  };
  const sql = `SELECT COALESCE(event, type), message_id, anonymous_id, user_id FROM events WHERE anonymous_id = '${anonymousId}'`;
  const rows = await eventually(() => {
    const rows = shared.collector.query(sql);
    return rows.length >= 12 ? rows : null;
  });
  assert.ok(rows, 'the events arrived after the page closed');
  assert.deepEqual(eventCounts(rows), expected);
  assert.equal(new Set(rows.map((row) => row[1])).size, rows.length, 'each message id once');
  assert.ok(rows.every((row) => row[3] === 'u-42'), 'every event carries the user from the snippet');
  const approved = shared.collector.query(`SELECT json_extract(body, '$.properties.invoice_id') FROM events
    WHERE anonymous_id = '${anonymousId}' AND event = 'invoice.approved' ORDER BY message_id`);
  assert.deepEqual(approved.flat(), ['INV-1041', 'INV-1042', 'INV-1043', 'INV-1044', 'INV-1045']);
  const later = await context.newPage();
  await later.goto(`${shared.collector.url}/automations.html`);
  assert.equal(await later.evaluate(() => localStorage.getItem('test:keepalive')), '1',
    'what was queued left in one request that outlives the page');
  await context.close();
});

test('usage survives a reload, batches go out on their timer, and a dismissal is remembered', async () => {
  const { context, page } = await shared.openDemo();
  const anonymousId = await page.evaluate(() => window.uptake.anonymousId());
  await approveButton(page, 0).click();
  await approveButton(page, 1).click();

  // Sent by the batch timer, while the page stays open.
  const sent = await eventually(() => shared.collector.query(`SELECT COUNT(*) FROM events
    WHERE anonymous_id = '${anonymousId}' AND event = 'invoice.approved'`)[0][0] === 2, { timeout: 15_000 });
  assert.ok(sent, 'two approvals were sent without closing the page');

  await page.reload();
  await sdkReady(page);
  const usage = await page.evaluate(() => window.uptake.featureUsage('invoices.approve'));
  assert.equal(usage.count, 2, 'the count was restored from the device');
  for (let index = 2; index < 5; index += 1) await approveButton(page, index).click();
  await prompt(page).waitFor({ state: 'visible' });
  await page.getByRole('button', { name: 'Not now' }).click();
  await prompt(page).waitFor({ state: 'detached' });

  await page.reload();
  await sdkReady(page);
  for (let index = 0; index < 3; index += 1) await approveButton(page, index).click();
  await page.evaluate(() => window.uptake.flush());
  assert.equal(await prompt(page).count(), 0, 'a dismissed prompt does not come back');
  assert.deepEqual(page.uncaughtErrors, []);
  await context.close();
});

test('the main button leads to Automations, where a marked button records use with no code', async () => {
  const { context, page } = await shared.openDemo();
  for (let index = 0; index < 5; index += 1) await approveButton(page, index).click();
  await prompt(page).getByRole('button', { name: 'Show me automations' }).click();
  await page.waitForURL('**/automations.html');
  await sdkReady(page);
  // The page shows the feature's entry point (#new-automation): seen, not used yet.
  await page.waitForFunction(() => window.uptake.featureUsage('workflow.automation')?.entrySeen === true);
  assert.equal(await page.evaluate(() => window.uptake.featureUsage('workflow.automation').count), 0);
  await page.getByRole('button', { name: 'New automation' }).click();
  const usage = await page.evaluate(() => window.uptake.featureUsage('workflow.automation'));
  assert.equal(usage.count, 1);
  await page.getByRole('button', { name: 'Save automation' }).click();
  await page.evaluate(() => window.uptake.flush());

  const anonymousId = await page.evaluate(() => window.uptake.anonymousId());
  // The events of this story: the prompt's rule, and the app's own (not the demo's other experiences).
  const rows = shared.collector.query(`SELECT COALESCE(event, type), json_extract(body, '$.properties.button'),
    json_extract(body, '$.properties.feature') FROM events WHERE anonymous_id = '${anonymousId}'
    AND type = 'track' AND event NOT IN ('invoice.approved')
    AND COALESCE(json_extract(body, '$.properties.rule_id'), 'automate-approvals') = 'automate-approvals'
    AND event NOT LIKE 'checklist_%' AND event NOT LIKE 'tour_%'`);
  assert.deepEqual(rows.map((row) => row[0]).sort(),
    ['automation.created', 'experience_action', 'experience_shown', 'feature_entry_seen', 'feature_used', 'goal_reached'],
    'using the feature after the prompt reaches the rule\'s goal (its entry point seen on the way)');
  assert.deepEqual(rows.find((row) => row[0] === 'experience_action').slice(1, 2), [0]);
  assert.deepEqual(rows.find((row) => row[0] === 'feature_used').slice(2), ['workflow.automation']);
  assert.deepEqual(page.uncaughtErrors, []);
  await context.close();
});
