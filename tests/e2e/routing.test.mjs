// A single-page app changes routes without loading pages: pushState, replaceState, back
// (popstate) and hash changes are page views without the host calling page(), and page
// conditions are evaluated again. `?uptake_preview=<id>` shows any experience at once, without
// counting as exposure; `uptake.debug(true)` explains every rule in the console.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { collectorAndBrowser, sdkReady } from './harness.mjs';

const shared = collectorAndBrowser();

test('pushState, replaceState, back and hash changes are page views; the app sees its own errors', async () => {
  const { context, page } = await shared.openDemo('/');
  await page.getByRole('link', { name: 'Reports' }).click();
  await page.getByRole('dialog', { name: 'New: reports export to CSV' }).waitFor();
  await page.getByRole('button', { name: 'Got it' }).click();
  await page.getByRole('button', { name: 'Last month' }).click();
  await page.evaluate(() => history.replaceState({ scroll: 120 }, ''));
  await page.goBack();
  await page.waitForFunction(() => location.hash === '');
  await page.evaluate(() => { location.hash = '#/reports'; });
  await page.waitForFunction(() => document.title.startsWith('Reports'));
  const thrown = await page.evaluate(() => {
    try {
      history.pushState({}, '', 'https://elsewhere.example/');
      return null;
    } catch (error) {
      return error.name;
    }
  });
  assert.equal(thrown, 'SecurityError', 'the app gets the error its pushState call raised');

  const events = await shared.sentEvents(page);
  const pages = events.filter(([name]) => name === 'page').map(([, properties]) => [properties.path, properties.search ?? '']);
  assert.deepEqual(pages, [
    ['/', ''],
    ['/#/reports', ''],
    ['/#/reports', '?period=last'],
    ['/', ''],
    ['/#/reports', ''],
  ], 'one page view per route; none for a state-only replaceState');
  assert.deepEqual(page.uncaughtErrors, []);
  await context.close();
});

test('?uptake_preview= shows an experience at once and counts nothing as exposure', async () => {
  const { context, page } = await shared.openDemo('/automations.html?uptake_preview=reports-csv');
  const banner = page.getByRole('dialog', { name: 'New: reports export to CSV' });
  await banner.waitFor();
  await banner.getByRole('button', { name: 'Got it' }).click();
  // The real rule still shows it on its route: the preview's dismissal did not count.
  await page.goto(`${shared.collector.url}/#/reports`);
  await sdkReady(page);
  await banner.waitFor();

  const warnings = [];
  page.on('console', (message) => { if (message.type() === 'warning') warnings.push(message.text()); });
  await page.goto(`${shared.collector.url}/?uptake_preview=invoices-tour`);
  await sdkReady(page);
  await page.getByRole('dialog', { name: 'Your invoices' }).waitFor();
  await page.goto(`${shared.collector.url}/?uptake_preview=no-such-thing`);
  await sdkReady(page);
  await page.waitForTimeout(300);
  assert.ok(warnings.some((warning) => warning.includes('uptake_preview: the config has no experience "no-such-thing"')), warnings.join(' | '));

  const events = await shared.sentEvents(page);
  const banners = events.filter(([name, properties]) => name.startsWith('experience_') && properties.experience_id === 'reports-csv')
    .map(([name, properties]) => [name, properties.preview ?? false]);
  assert.deepEqual(banners, [['experience_shown', true], ['experience_dismissed', true], ['experience_shown', false]]);
  const tourViewed = events.find(([name, properties]) => name === 'tour_step_viewed' && properties.tour_id === 'invoices-tour');
  assert.equal(tourViewed[1].preview, true);
  assert.deepEqual(page.uncaughtErrors, []);
  await context.close();
});

test('uptake.debug(true) explains in the console why each rule did or did not fire', async () => {
  const { context, page } = await shared.openDemo('/');
  const logged = [];
  page.on('console', (message) => logged.push(message.text()));
  await page.evaluate(() => window.uptake.debug(true));
  await page.locator('button.approve').first().click();
  await page.waitForTimeout(200);
  assert.ok(logged.includes('[uptake] 9 rules evaluated'), logged.join('\n'));
  assert.ok(logged.includes('automate-approvals: when.all[0]: invoice.approved happened 0 times in 7d, needs at least 5'), logged.join('\n'));
  assert.ok(logged.includes('reports-export-banner: when: the page / does not match /#/reports'), logged.join('\n'));
  assert.ok(logged.includes('automate-approvals: when.all[0]: invoice.approved happened 1 time in 7d, needs at least 5'),
    `after the approval: ${logged.join('\n')}`);
  await page.evaluate(() => window.uptake.debug(false));
  logged.length = 0;
  await page.locator('button.approve').nth(1).click();
  await page.waitForTimeout(200);
  assert.deepEqual(logged.filter((line) => line.includes('rules evaluated')), [], 'quiet again');
  assert.deepEqual(page.uncaughtErrors, []);
  await context.close();
});
