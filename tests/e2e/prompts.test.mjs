// Prompts on the demo app, each brought by its rule: the banner of the Reports route (reached
// with pushState), the tooltip a change of period brings (replaceState), the hotspot on the
// Automations link, and the modal in Japanese. Each is operated with the keyboard alone,
// gives focus back, passes an axe-core scan, and is saved as a screenshot.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  collectorAndBrowser, eventually, screenshot, axeViolations, focusedLabel, tabTo, settled, cardAndTarget,
  attachmentProblem,
} from './harness.mjs';

const shared = collectorAndBrowser();

test('the Reports route brings a banner, operated with the keyboard alone', async () => {
  const { context, page } = await shared.openDemo();
  await page.getByRole('link', { name: 'Reports' }).click();
  assert.equal(new URL(page.url()).hash, '#/reports', 'the app changed its route with pushState');
  const banner = page.getByRole('dialog', { name: 'New: reports export to CSV' });
  await banner.waitFor();
  await settled(banner);
  const headingY = () => page.locator('#reports-heading').evaluate((heading) => heading.getBoundingClientRect().y);
  const headingWithBanner = await headingY();
  assert.equal(await banner.locator('.uptake-body').textContent(), 'Download any period as a spreadsheet in one click.');
  const box = await banner.boundingBox();
  assert.equal(box.y, 0, 'along the top of the window');
  assert.deepEqual(await axeViolations(page), [], 'axe-core finds nothing wrong with the banner open');
  await screenshot(page, 'banner.png');

  // Not modal: it does not take the focus, and Tab reaches it after the page.
  await page.getByRole('button', { name: 'Schedule' }).focus();
  await tabTo(page, 'Got it');
  await page.keyboard.press('Tab');
  assert.equal(await focusedLabel(page), 'Close');
  await page.keyboard.press('Shift+Tab');
  assert.equal(await focusedLabel(page), 'Got it');
  await page.keyboard.press('Enter');
  await banner.waitFor({ state: 'detached' });
  assert.equal(await headingY(), headingWithBanner, 'the banner pushed nothing: the page did not move');

  const events = await shared.sentEvents(page);
  const pages = events.filter(([name]) => name === 'page').map(([, properties]) => properties.path);
  assert.deepEqual(pages, ['/', '/#/reports'], 'the route change was a page view');
  const dismissed = events.filter(([name]) => name === 'experience_dismissed');
  assert.deepEqual(dismissed.map(([, properties]) => properties.rule_id), ['reports-export-banner']);
  assert.deepEqual(page.uncaughtErrors, []);
  await context.close();
});

test('a change of period brings a tooltip that stays on its button through scroll and resize', async () => {
  const { context, page } = await shared.openDemo('/#/reports');
  const banner = page.getByRole('dialog', { name: 'New: reports export to CSV' });
  await banner.getByRole('button', { name: 'Got it' }).click();
  const lastMonth = page.getByRole('button', { name: 'Last month' });
  await lastMonth.click();
  assert.equal(new URL(page.url()).search, '?period=last', 'the app replaced its state');
  const tooltip = page.getByRole('dialog', { name: 'Export this period' });
  await tooltip.waitFor();
  assert.equal(await focusedLabel(page), 'Got it', 'focus moved into the tooltip');
  assert.equal(attachmentProblem(await cardAndTarget(page, '#export-csv')), null);
  assert.equal((await cardAndTarget(page, '#export-csv')).side, 'bottom', 'the placement the config asks for');
  assert.deepEqual(await axeViolations(page), []);
  await screenshot(page, 'tooltip.png');

  // Scrolled: the page grows and scrolls, the card follows its button.
  await page.evaluate(() => {
    document.body.style.paddingBottom = '2000px';
    window.scrollTo(0, 60);
  });
  await page.waitForTimeout(100);
  assert.equal(attachmentProblem(await cardAndTarget(page, '#export-csv')), null, 'after a scroll');
  // Narrower: the button moves under the period buttons; the card goes with it.
  await page.setViewportSize({ width: 520, height: 500 });
  await page.waitForTimeout(100);
  assert.equal(attachmentProblem(await cardAndTarget(page, '#export-csv')), null, 'after a resize');
  // Layout change: content added above the button pushes it down.
  await page.evaluate(() => {
    const notice = document.createElement('p');
    notice.textContent = 'A notice the app added above the reports.';
    notice.style.height = '120px';
    document.querySelector('#reports-view').prepend(notice);
  });
  await page.waitForTimeout(100);
  assert.equal(attachmentProblem(await cardAndTarget(page, '#export-csv')), null, 'after a layout change');

  await page.keyboard.press('Escape');
  await tooltip.waitFor({ state: 'detached' });
  assert.equal(await focusedLabel(page), 'Last month', 'focus went back to where it was');
  const events = await shared.sentEvents(page);
  const shown = events.filter(([name]) => name === 'experience_shown').map(([, properties]) => properties.rule_id);
  assert.ok(shown.includes('export-tip'), shown.join());
  assert.deepEqual(page.uncaughtErrors, []);
  await context.close();
});

test('the hotspot on Automations opens its tooltip from the keyboard and starts the tour', async () => {
  const { context, page } = await shared.openDemo();
  const badge = page.getByRole('button', { name: 'New: Automations are here' });
  await badge.waitFor();
  const [badgeBox, linkBox] = [await badge.boundingBox(), await page.locator('#nav-automations').boundingBox()];
  const badgeCenter = { x: badgeBox.x + badgeBox.width / 2, y: badgeBox.y + badgeBox.height / 2 };
  assert.ok(Math.abs(badgeCenter.x - (linkBox.x + linkBox.width)) < 12 && Math.abs(badgeCenter.y - linkBox.y) < 12,
    `on the link's top-right corner: ${JSON.stringify({ badgeBox, linkBox })}`);
  assert.equal(await badge.getAttribute('aria-haspopup'), 'dialog');
  assert.deepEqual(await axeViolations(page), [], 'with the badge on the page');

  await page.locator('#reset-demo').focus();
  await tabTo(page, 'New: Automations are here');
  await page.keyboard.press('Enter');
  const tooltip = page.getByRole('dialog', { name: 'Automations are here' });
  await tooltip.waitFor();
  assert.equal(await badge.getAttribute('aria-expanded'), 'true');
  assert.equal(await focusedLabel(page), 'Take the tour');
  assert.equal(await tooltip.locator('strong').textContent(), 'your', 'the config\'s **bold**, built as an element');
  assert.equal(attachmentProblem(await cardAndTarget(page, '#nav-automations')), null);
  assert.deepEqual(await axeViolations(page), [], 'with the tooltip open');
  await screenshot(page, 'hotspot.png');

  // Escape hides the tooltip and keeps the badge; the focus goes back to the badge.
  await page.keyboard.press('Escape');
  await tooltip.waitFor({ state: 'detached' });
  assert.equal(await focusedLabel(page), 'New: Automations are here');
  assert.equal(await badge.getAttribute('aria-expanded'), 'false');
  await page.keyboard.press('Enter');
  await tooltip.waitFor();
  await page.keyboard.press('Enter');
  await tooltip.waitFor({ state: 'detached' });
  await badge.waitFor({ state: 'detached' });
  await page.getByRole('dialog', { name: 'Your invoices' }).waitFor();

  const events = await shared.sentEvents(page);
  const action = events.find(([name, properties]) => name === 'experience_action' && properties.rule_id === 'automations-badge');
  assert.ok(action, 'the button press was recorded');
  assert.equal(action[1].button, 0);
  assert.deepEqual(page.uncaughtErrors, []);
  await context.close();
});

test('the modal in Japanese, from the locale trait, with focus trapped and given back', async () => {
  const { context, page } = await shared.openDemo();
  await page.locator('#language').selectOption('ja');
  await page.getByRole('button', { name: 'はじめに 0/3' }).waitFor();
  const approve = page.locator('button.approve');
  for (let index = 0; index < 5; index += 1) await approve.nth(index).click();
  const modal = page.getByRole('dialog', { name: '請求書の承認を自動化しませんか？' });
  await modal.waitFor();
  assert.equal(await modal.getAttribute('aria-modal'), 'true');
  assert.equal(await modal.evaluate((dialog) => dialog.matches(':modal')), true, 'in the top layer, the page inert');
  assert.equal(await modal.locator('.uptake-body').textContent(),
    '今週は5件の請求書を手動で承認しました。選んだルールで、こうした請求書を自動で承認できます。');
  assert.equal(await focusedLabel(page), '自動化を見る');
  await page.keyboard.press('Tab');
  assert.equal(await focusedLabel(page), '今はしない');
  await page.keyboard.press('Tab');
  assert.equal(await focusedLabel(page), '閉じる', 'the close button, labelled in Japanese');
  await page.keyboard.press('Tab');
  assert.equal(await focusedLabel(page), '自動化を見る', 'Tab wraps around inside the modal');
  await page.keyboard.press('Shift+Tab');
  assert.equal(await focusedLabel(page), '閉じる', 'and so does Shift+Tab');
  assert.deepEqual(await axeViolations(page), [], 'with the modal open');
  await screenshot(page, 'modal-ja.png');
  await page.keyboard.press('Escape');
  await modal.waitFor({ state: 'detached' });
  assert.equal(await focusedLabel(page), 'Approve INV-1046', 'focus went back to the next invoice to approve');
  assert.deepEqual(page.uncaughtErrors, []);
  await context.close();
});

test('the browser language is used when there is no locale trait, and the trait wins over it', async () => {
  const { context, page } = await shared.openDemo('/', { locale: 'ja-JP' });
  await page.getByRole('button', { name: 'はじめに 0/3' }).waitFor();
  await page.locator('#language').selectOption('en');
  await page.getByRole('button', { name: 'Get started 0/3' }).waitFor();
  assert.deepEqual(page.uncaughtErrors, []);
  await context.close();
});

test('a dark colour scheme gets the dark theme, and the page can set the theme', async () => {
  const { context, page } = await shared.openDemo('/?uptake_preview=automate-invoices', { colorScheme: 'dark' });
  const modal = page.getByRole('dialog', { name: 'Automate invoice approval?' });
  await modal.waitFor();
  const surface = await modal.evaluate((dialog) => getComputedStyle(dialog).backgroundColor);
  assert.equal(surface, 'rgb(31, 41, 55)', 'the dark surface');
  const accent = () => modal.getByRole('button', { name: 'Show me automations' }).evaluate((button) => getComputedStyle(button).backgroundColor);
  assert.equal(await accent(), 'rgb(15, 118, 110)', 'the config\'s accent');
  assert.deepEqual(await axeViolations(page), [], 'the dark theme keeps its contrast');
  await screenshot(page, 'modal-dark.png');
  await page.addStyleTag({ content: 'uptake-root { --uptake-accent: rgb(126, 34, 206); }' });
  assert.equal(await accent(), 'rgb(126, 34, 206)', 'the page\'s own value wins over the config\'s');
  assert.deepEqual(page.uncaughtErrors, []);
  await context.close();
});

test('events are stored once, for every kind shown', async () => {
  const { context, page } = await shared.openDemo();
  await eventually(() => page.getByRole('button', { name: 'Get started 0/3' }).count());
  const events = await shared.sentEvents(page);
  const shown = events.filter(([name]) => name === 'experience_shown').map(([, properties]) => `${properties.experience_type}:${properties.rule_id}`);
  assert.deepEqual(shown.sort(), ['checklist:onboarding', 'prompt:automations-badge']);
  await context.close();
});

test('prefers-reduced-motion: the badge stops pulsing and cards appear without an entrance', async () => {
  const motion = async (reducedMotion) => {
    const { context, page } = await shared.openDemo('/', { reducedMotion });
    const badge = page.getByRole('button', { name: 'New: Automations are here' });
    await badge.waitFor();
    await badge.click();
    const tooltip = page.getByRole('dialog', { name: 'Automations are here' });
    await tooltip.waitFor();
    const animations = {
      badge: await badge.evaluate((element) => getComputedStyle(element, '::after').animationName),
      card: await tooltip.evaluate((element) => getComputedStyle(element).animationName),
    };
    await context.close();
    return animations;
  };
  assert.deepEqual(await motion('no-preference'), { badge: 'uptake-pulse-ring', card: 'uptake-fade' });
  assert.deepEqual(await motion('reduce'), { badge: 'none', card: 'none' });
});
