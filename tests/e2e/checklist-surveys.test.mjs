// The onboarding checklist and the micro-surveys on the demo app. Checklist items are ticked by
// real use of their features, progress survives a reload, an item starts its tour, and a
// dismissal is final. Surveys (CSAT after an automation, NPS after an export, a single choice
// after scheduling) are answered with the keyboard, with a free-text follow-up, and their
// answers reach the collector as events.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  collectorAndBrowser, sdkReady, screenshot, axeViolations, focusedLabel, tabTo, eventually,
} from './harness.mjs';

const shared = collectorAndBrowser();

test('the checklist ticks items by real use, keeps its progress, starts a tour and can be dismissed', async () => {
  const { context, page } = await shared.openDemo();
  const launcher = page.getByRole('button', { name: 'Get started 0/3' });
  await launcher.waitFor();
  assert.equal(await launcher.getAttribute('aria-expanded'), 'false');

  await page.locator('#reset-demo').focus();
  await tabTo(page, 'Get started 0/3');
  await page.keyboard.press('Enter');
  const panel = page.getByRole('dialog', { name: 'Get started' });
  await panel.waitFor();
  assert.equal(await focusedLabel(page), 'Approve an invoice', 'focus moved into the panel');
  await page.keyboard.press('Escape');
  await panel.waitFor({ state: 'detached' });
  assert.equal(await focusedLabel(page), 'Get started 0/3', 'Escape closes the panel, focus back on the launcher');

  // Clicking an item does not tick it: using the feature does.
  await page.locator('button.approve').first().click();
  const progressed = page.getByRole('button', { name: 'Get started 1/3' });
  await progressed.waitFor();
  await progressed.click();
  await panel.waitFor();
  assert.deepEqual(await panel.locator('li').allTextContents(),
    ['✓Approve an invoice (done)', 'Export a report', 'Create an automation']);
  assert.deepEqual(await axeViolations(page), [], 'with the panel open');
  await screenshot(page, 'checklist.png');

  await page.reload();
  await sdkReady(page);
  await panel.waitFor();
  assert.equal(await page.getByRole('button', { name: 'Get started 1/3' }).getAttribute('aria-expanded'), 'true',
    'progress and the open panel survive a reload');

  // An item with a tour starts it, on the tour's page.
  await panel.getByRole('button', { name: 'Create an automation' }).click();
  await page.waitForURL('**/automations.html');
  await sdkReady(page);
  await page.getByRole('dialog', { name: 'Your first automation' }).waitFor();
  await page.getByRole('dialog', { name: 'Your first automation' }).getByRole('button', { name: 'Close' }).click();

  await page.getByRole('button', { name: 'Get started 1/3' }).click();
  await panel.getByRole('button', { name: 'Dismiss the checklist' }).click();
  await panel.waitFor({ state: 'detached' });
  assert.equal(await page.getByRole('button', { name: /Get started/ }).count(), 0);
  await page.reload();
  await sdkReady(page);
  await page.waitForTimeout(300);
  assert.equal(await page.getByRole('button', { name: /Get started/ }).count(), 0, 'a dismissed checklist stays away');

  const events = await shared.sentEvents(page);
  const completed = events.filter(([name]) => name === 'checklist_item_completed').map(([, properties]) => properties.item_id);
  assert.deepEqual(completed, ['approve']);
  const dismissed = events.filter(([name, properties]) => name === 'experience_dismissed' && properties.experience_type === 'checklist');
  assert.equal(dismissed.length, 1);
  assert.deepEqual(page.uncaughtErrors, []);
  await context.close();
});

test('a CSAT survey after an automation, answered with the keyboard, with a comment', async () => {
  const { context, page } = await shared.openDemo('/automations.html');
  await page.getByRole('dialog', { name: 'Your first automation' }).getByRole('button', { name: 'Close' }).click();
  await page.getByRole('button', { name: 'New automation' }).click();
  await page.getByRole('button', { name: 'Save automation' }).click();

  const survey = page.getByRole('dialog', { name: 'How easy was it to set up this automation?' });
  await survey.waitFor();
  assert.deepEqual(await survey.locator('.uptake-answer').allTextContents(), ['1', '2', '3', '4', '5']);
  assert.equal(await focusedLabel(page), '1', 'focus on the first answer');
  assert.deepEqual(await axeViolations(page), [], 'with the scale open');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  assert.equal(await focusedLabel(page), '4');
  await page.keyboard.press('Enter');
  const comment = survey.getByRole('textbox', { name: 'What would make it easier?' });
  await comment.waitFor();
  assert.equal(await focusedLabel(page), '', 'focus in the comment box');
  await page.keyboard.type('Fewer fields, please');
  assert.deepEqual(await axeViolations(page), [], 'with the follow-up open');
  await screenshot(page, 'survey-csat.png');
  await page.keyboard.press('Tab');
  assert.equal(await focusedLabel(page), 'Skip');
  await page.keyboard.press('Tab');
  assert.equal(await focusedLabel(page), 'Send');
  await page.keyboard.press('Enter');
  await survey.getByRole('status').filter({ hasText: 'Thank you!' }).waitFor();
  await survey.waitFor({ state: 'detached' });

  const events = await shared.sentEvents(page);
  const answers = events.filter(([name]) => name === 'survey_answered').map(([, properties]) => properties);
  assert.equal(answers.length, 1);
  assert.deepEqual([answers[0].survey_id, answers[0].kind, answers[0].score, answers[0].comment],
    ['automation-ease', 'csat', 4, 'Fewer fields, please']);
  assert.equal(events.filter(([name, properties]) => name === 'experience_dismissed' && properties.experience_type === 'survey').length, 0,
    'an answered survey is not a dismissed one');
  assert.deepEqual(page.uncaughtErrors, []);
  await context.close();
});

test('NPS after an export (closed at the follow-up, the score still counts) and a single choice after scheduling', async () => {
  const { context, page } = await shared.openDemo('/#/reports');
  await page.getByRole('dialog', { name: 'New: reports export to CSV' }).getByRole('button', { name: 'Got it' }).click();
  await page.getByRole('button', { name: 'Export CSV' }).click();
  const nps = page.getByRole('dialog', { name: 'How likely are you to recommend Ledgerly to a colleague?' });
  await nps.waitFor();
  assert.equal(await nps.locator('.uptake-answer').count(), 11, '0 to 10');
  assert.deepEqual(await nps.locator('.uptake-scale span').allTextContents(), ['Not likely', 'Very likely']);
  assert.deepEqual(await axeViolations(page), []);
  await screenshot(page, 'survey-nps.png');
  await nps.getByRole('button', { name: '9', exact: true }).click();
  await nps.getByRole('textbox').waitFor();
  await page.keyboard.press('Escape');
  await nps.waitFor({ state: 'detached' });

  // Two interruptions in this page view already (the banner, the NPS): the next page view.
  await page.reload();
  await sdkReady(page);
  await page.getByRole('button', { name: 'Schedule' }).click();
  const choice = page.getByRole('dialog', { name: 'Who is this scheduled report for?' });
  await choice.waitFor();
  assert.deepEqual(await choice.locator('.uptake-answer').allTextContents(), ['Me', 'My team', 'My accountant']);
  assert.deepEqual(await axeViolations(page), []);
  await screenshot(page, 'survey-choice.png');
  await choice.getByRole('button', { name: 'My team' }).click();
  await choice.getByRole('status').waitFor();

  const answers = await eventually(async () => {
    const events = await shared.sentEvents(page);
    const found = events.filter(([name]) => name === 'survey_answered').map(([, properties]) => properties);
    return found.length === 2 ? found : null;
  });
  assert.ok(answers, 'both answers were stored');
  assert.deepEqual(answers.map((answer) => [answer.survey_id, answer.score ?? null, answer.choice_label ?? null, answer.comment ?? null]),
    [['recommend', 9, null, null], ['schedule-purpose', null, 'My team', null]]);
  assert.deepEqual(page.uncaughtErrors, []);
  await context.close();
});
