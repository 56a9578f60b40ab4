// Tours on the demo app: the Invoices tour started from Help (uptake.startTour), with a
// spotlight that leaves its target clickable, advanced by Next, by a click on the target and
// by the page changing, across a page load and a reload, to its centred last step; and the
// Automations tour a rule starts on a first visit, advanced by a click and by an event.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  collectorAndBrowser, sdkReady, screenshot, axeViolations, focusedLabel, cardAndTarget,
  attachmentProblem, settled,
} from './harness.mjs';

const shared = collectorAndBrowser();

const step = (page, title) => page.getByRole('dialog', { name: title });
const progress = (dialog) => dialog.locator('.uptake-progress').textContent();

test('the Invoices tour crosses a page load and a reload and resumes at the right step', async () => {
  const { context, page } = await shared.openDemo('/automations.html');
  // Help on another page: the tour's first step is on Invoices, where the SDK takes the user.
  await step(page, 'Your first automation').getByRole('button', { name: 'Close' }).click();
  await page.getByRole('button', { name: 'Help' }).click();
  await page.waitForURL(`${shared.collector.url}/`);
  await sdkReady(page);

  const first = step(page, 'Your invoices');
  await first.waitFor();
  await settled(first);
  assert.equal(await progress(first), '1 of 5');
  assert.equal(await focusedLabel(page), 'Next', 'focus moved into the step');
  assert.equal(attachmentProblem(await cardAndTarget(page, '#invoice-rows tr:first-child')), null);
  const [spotlight, row] = await page.evaluate(() => {
    const box = (element) => { const r = element.getBoundingClientRect(); return [r.x, r.y, r.width, r.height]; };
    const cutout = document.querySelector('uptake-root').shadowRoot.querySelector('.uptake-spotlight');
    return [box(cutout), box(document.querySelector('#invoice-rows tr:first-child'))];
  });
  assert.deepEqual(spotlight.map(Math.round), [row[0] - 6, row[1] - 6, row[2] + 12, row[3] + 12].map(Math.round),
    'the spotlight cuts out the row');
  assert.deepEqual(await axeViolations(page), [], 'with a spotlit step');
  await screenshot(page, 'tour-spotlight.png');
  // The dimmed page stays usable: the spotlit row's link takes a real click.
  await page.locator('#invoice-rows tr:first-child button.open').click();

  await first.getByRole('button', { name: 'Next' }).focus();
  await page.keyboard.press('Enter');
  const second = step(page, 'Approve one');
  await second.waitFor();
  assert.equal(await progress(second), '2 of 5');
  assert.equal(await second.getByRole('button', { name: 'Next' }).count(), 0, 'a click on the target advances this one');
  await second.getByRole('button', { name: 'Back' }).click();
  await first.waitFor();
  await first.getByRole('button', { name: 'Next' }).click();
  await second.waitFor();
  await page.locator('button.approve').first().click();

  const third = step(page, 'Let Ledgerly do it');
  await third.waitFor();
  assert.equal(attachmentProblem(await cardAndTarget(page, '#nav-automations')), null);
  await page.locator('#nav-automations').click();
  await page.waitForURL('**/automations.html');
  await sdkReady(page);
  const fourth = step(page, 'Create an automation');
  await fourth.waitFor();
  assert.equal(await progress(fourth), '4 of 5', 'the page change advanced the tour');

  await page.reload();
  await sdkReady(page);
  await fourth.waitFor();
  assert.equal(await progress(fourth), '4 of 5', 'resumed after a reload');
  assert.equal(await step(page, 'Your first automation').count(), 0, 'one tour at a time');
  await fourth.getByRole('button', { name: 'Next' }).click();

  const last = step(page, 'You are all set');
  await last.waitFor();
  await settled(last);
  const box = await last.boundingBox();
  const viewport = page.viewportSize();
  assert.ok(Math.abs(box.x + box.width / 2 - viewport.width / 2) < 2 && Math.abs(box.y + box.height / 2 - viewport.height / 2) < 2,
    'a step without a target is centred');
  assert.deepEqual(await axeViolations(page), []);
  await screenshot(page, 'tour-centered.png');
  await page.keyboard.press('Enter');
  await last.waitFor({ state: 'detached' });

  const events = await shared.sentEvents(page);
  const viewed = events.filter(([name, properties]) => name === 'tour_step_viewed' && properties.tour_id === 'invoices-tour');
  assert.deepEqual(viewed.map(([, properties]) => properties.step), [1, 2, 1, 2, 3, 4, 5],
    'each step viewed once each time it is reached (Back shows step 1 again)');
  assert.equal(events.filter(([name]) => name === 'tour_completed').length, 1);
  assert.deepEqual(page.uncaughtErrors, []);
  await context.close();
});

test('a rule starts the Automations tour, advanced by a click and by an event; Escape abandons a tour', async () => {
  const { context, page } = await shared.openDemo('/automations.html');
  const first = step(page, 'Your first automation');
  await first.waitFor();
  assert.equal(await first.locator('strong').textContent(), 'New automation');
  await page.getByRole('button', { name: 'New automation' }).click();
  const second = step(page, 'Pick a vendor and a limit');
  await second.waitFor();
  assert.equal(attachmentProblem(await cardAndTarget(page, '#automation-form')), null,
    'shown once the form it points at is shown');
  await page.getByRole('button', { name: 'Save automation' }).click();
  await second.waitFor({ state: 'detached' });

  // Help starts the other tour; Escape ends it.
  await page.goto(`${shared.collector.url}/`);
  await sdkReady(page);
  await page.evaluate(() => window.uptake.startTour('invoices-tour'));
  await step(page, 'Your invoices').waitFor();
  await page.keyboard.press('Escape');
  await step(page, 'Your invoices').waitFor({ state: 'detached' });
  assert.equal(await page.evaluate(() => window.uptake.startTour('no-such-tour')), false);

  const events = await shared.sentEvents(page);
  const ends = events.filter(([name]) => name === 'tour_completed' || name === 'tour_abandoned')
    .map(([name, properties]) => [name, properties.tour_id, properties.rule_id ?? null, properties.reason ?? null]);
  assert.deepEqual(ends, [
    ['tour_completed', 'automations-tour', 'first-automation-tour', null],
    ['tour_abandoned', 'invoices-tour', null, 'closed'],
  ]);
  assert.deepEqual(page.uncaughtErrors, []);
  await context.close();
});

test('a tour the snippet asks for before the config has arrived starts when it does', async () => {
  const context = await shared.browser.newContext();
  // The host page queues startTour in the snippet; the config answers late.
  await context.addInitScript(() => {
    window.uptake = [['startTour', 'invoices-tour']];
  });
  await context.route('**/v1/config', async (route) => {
    await new Promise((resolve) => setTimeout(resolve, 500));
    await route.continue();
  });
  const page = await context.newPage();
  const warnings = [];
  page.on('console', (message) => {
    if (message.type() === 'warning') warnings.push(message.text());
  });
  await page.goto(`${shared.collector.url}/`);
  await sdkReady(page);
  await step(page, 'Your invoices').waitFor();
  assert.deepEqual(warnings, []);
  await context.close();
});
