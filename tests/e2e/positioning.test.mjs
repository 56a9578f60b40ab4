// Where experiences go on pages built to be hard: a target inside a scrolling container, below
// a sticky header, inside a fixed toolbar, inside a web component's shadow root, inside an open
// modal <dialog>; a spotlight with the host's portal menu above it; each missing-target policy
// of a tour; hostile config strings; host CSS that tries to break everything.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  collectorAndBrowser, newPage, openFixture, fixtureHtml, cardAndTarget, attachmentProblem, settled,
  screenshot, eventually,
} from './harness.mjs';

const shared = collectorAndBrowser();

/** A config whose rule shows a tooltip on `target` when `show.tip` is tracked. */
function tooltipConfig(target, { title = 'Look here', body = 'This is the control you want.', placement = 'auto' } = {}) {
  return {
    version: 1,
    rules: [{ id: 'tip', when: { event: 'show.tip' }, show: { prompt: 'tip' }, frequency: { stop_when: [] } }],
    prompts: [{ id: 'tip', title, body, display: { tooltip: { target, placement } }, buttons: [{ label: 'Got it' }] }],
  };
}

let fixtures = 0;

async function openPage(body, config, { head = '' } = {}) {
  const context = await shared.browser.newContext({ viewport: { width: 1000, height: 700 } });
  const page = await newPage(context);
  fixtures += 1;
  await openFixture(page, shared.collector.url, `/fixture-${fixtures}.html`, fixtureHtml({ head, body, config }));
  await page.waitForFunction(() => window.uptake && typeof window.uptake.track === 'function');
  return { context, page };
}

async function showTip(page) {
  await page.evaluate(() => window.uptake.track('show.tip'));
  const tooltip = page.getByRole('dialog', { name: 'Look here' });
  await tooltip.waitFor();
  await settled(tooltip);
  return tooltip;
}

const settle = (page) => page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));

test('a target in a scrolling container is scrolled into view and followed, and hidden with it', async () => {
  const { context, page } = await openPage(`
    <div id="pane" style="height:300px;width:600px;overflow:auto;margin:40px;border:1px solid #999">
      <div style="height:800px">Rows</div><button id="deep">Deep button</button><div style="height:800px">More rows</div>
    </div>`, tooltipConfig('#deep'));
  await showTip(page);
  assert.equal(attachmentProblem(await cardAndTarget(page, '#deep')), null, 'scrolled into view and attached');
  await page.evaluate(() => { document.getElementById('pane').scrollTop += 60; });
  await settle(page);
  assert.equal(attachmentProblem(await cardAndTarget(page, '#deep')), null, 'follows the container\'s scroll');
  await page.evaluate(() => { document.getElementById('pane').scrollTop = 0; });
  await settle(page);
  assert.equal((await cardAndTarget(page, '#deep')).visible, false, 'hidden while its target is scrolled out of the container');
  await page.evaluate(() => { document.getElementById('deep').scrollIntoView({ block: 'center' }); });
  await settle(page);
  assert.equal(attachmentProblem(await cardAndTarget(page, '#deep')), null, 'back with its target');
  assert.deepEqual(page.uncaughtErrors, []);
  await context.close();
});

test('a target under a sticky header is scrolled below it, not left under it', async () => {
  const { context, page } = await openPage(`
    <header style="position:sticky;top:0;height:80px;background:#123;color:#fff;z-index:5">Sticky header</header>
    <div style="height:900px"></div><button id="under">Under the header</button><div style="height:1500px"></div>`,
  tooltipConfig('#under'));
  // The target sits just below the top of the window, under the header.
  await page.evaluate(() => window.scrollTo(0, document.getElementById('under').getBoundingClientRect().top + window.scrollY - 20));
  await showTip(page);
  const top = await page.locator('#under').evaluate((element) => element.getBoundingClientRect().top);
  assert.ok(top >= 80, `the target is below the 80px header: ${top}`);
  assert.equal(attachmentProblem(await cardAndTarget(page, '#under')), null);
  assert.deepEqual(page.uncaughtErrors, []);
  await context.close();
});

test('a target in a fixed toolbar keeps its tooltip as the page scrolls', async () => {
  const { context, page } = await openPage(`
    <div style="height:3000px">A long page</div>
    <div style="position:fixed;left:0;right:0;bottom:0;height:56px;background:#eee;display:flex;align-items:center;padding:0 16px">
      <button id="fixed-save">Save</button>
    </div>`, tooltipConfig('#fixed-save', { placement: 'top' }));
  await showTip(page);
  assert.equal(attachmentProblem(await cardAndTarget(page, '#fixed-save')), null);
  assert.equal((await cardAndTarget(page, '#fixed-save')).side, 'top');
  await page.mouse.wheel(0, 800);
  await page.waitForFunction(() => window.scrollY > 0);
  await settle(page);
  assert.equal(attachmentProblem(await cardAndTarget(page, '#fixed-save')), null, 'still attached after a scroll');
  assert.deepEqual(page.uncaughtErrors, []);
  await context.close();
});

test('a target inside a web component\'s open shadow root', async () => {
  const { context, page } = await openPage(`
    <ledger-toolbar></ledger-toolbar>
    <script>
      customElements.define('ledger-toolbar', class extends HTMLElement {
        connectedCallback() {
          const root = this.attachShadow({ mode: 'open' });
          root.innerHTML = '<div style="padding:120px 200px"><button id="inner-export">Export</button></div>';
        }
      });
    </script>`, tooltipConfig('#inner-export', { placement: 'bottom' }));
  await showTip(page);
  assert.equal(attachmentProblem(await cardAndTarget(page, '#inner-export')), null);
  assert.deepEqual(page.uncaughtErrors, []);
  await context.close();
});

test('a target in an open modal <dialog>: the tooltip renders in the top layer, usable', async () => {
  const { context, page } = await openPage(`
    <button id="open">Open settings</button>
    <dialog id="settings"><h2>Settings</h2><p>Choose how invoices are approved.</p><button id="in-dialog">Approval rules</button></dialog>
    <script>document.getElementById('open').onclick = () => document.getElementById('settings').showModal();</script>`,
  tooltipConfig('#in-dialog', { placement: 'bottom' }));
  await page.locator('#open').click();
  const tooltip = await showTip(page);
  assert.equal(attachmentProblem(await cardAndTarget(page, '#in-dialog')), null);
  const onTop = await page.evaluate(() => {
    const card = [...document.querySelectorAll('uptake-root')].map((root) => root.shadowRoot.querySelector('.uptake-floating')).find(Boolean);
    const box = card.getBoundingClientRect();
    const hit = document.elementFromPoint(box.x + box.width / 2, box.y + box.height / 2);
    return { host: hit.localName, inDialog: hit.closest('dialog')?.id ?? null };
  });
  assert.deepEqual(onTop, { host: 'uptake-root', inDialog: 'settings' }, 'nothing of the dialog covers the tooltip');
  await screenshot(page, 'tooltip-in-dialog.png');
  await tooltip.getByRole('button', { name: 'Got it' }).click();
  await tooltip.waitFor({ state: 'detached' });
  assert.equal(await page.locator('#settings').evaluate((dialog) => dialog.open), true, 'the host\'s dialog stays open');
  assert.deepEqual(page.uncaughtErrors, []);
  await context.close();
});

test('a spotlight leaves its target clickable and the host\'s portal menu above it usable', async () => {
  const config = {
    version: 1,
    tours: [{ id: 'menu', spotlight: true, steps: [
      { target: '#actions', title: 'Actions', body: 'Open the menu.', advance: 'click', placement: 'right' },
      { title: 'Done' },
    ] }],
  };
  const { context, page } = await openPage(`
    <div style="padding:80px"><button id="actions">Actions ▾</button></div>
    <script>
      window.chosen = [];
      document.getElementById('actions').addEventListener('click', () => {
        const menu = document.createElement('div');
        menu.setAttribute('role', 'menu');
        menu.style.cssText = 'position:fixed;left:80px;top:130px;z-index:50;background:#fff;border:1px solid #999';
        menu.innerHTML = '<button role="menuitem" id="archive">Archive</button>';
        menu.querySelector('#archive').addEventListener('click', () => window.chosen.push('archive'));
        document.body.appendChild(menu);
      });
    </script>`, config);
  await page.evaluate(() => window.uptake.startTour('menu'));
  await page.getByRole('dialog', { name: 'Actions' }).waitFor();
  const actions = await page.locator('#actions').boundingBox();
  await page.mouse.click(actions.x + actions.width / 2, actions.y + actions.height / 2);
  await page.getByRole('dialog', { name: 'Done' }).waitFor();
  const archive = await page.locator('#archive').boundingBox();
  await page.mouse.click(archive.x + archive.width / 2, archive.y + archive.height / 2);
  assert.deepEqual(await page.evaluate(() => window.chosen), ['archive'], 'the portal menu took the click');
  assert.deepEqual(page.uncaughtErrors, []);
  await context.close();
});

/** A tour whose first step points at `#late`, with `policy` for a missing target. */
function policyConfig(policy) {
  return {
    version: 1,
    tours: [{ id: 'policy', steps: [
      { target: '#late', title: 'The late one', missing_target: policy },
      { title: 'Second step' },
    ] }],
  };
}

async function tourEvents(page) {
  return (await shared.sentEvents(page))
    .filter(([name]) => name.startsWith('tour_'))
    .map(([name, properties]) => [name, properties.step, properties.policy ?? properties.reason ?? null]);
}

test('missing target, wait: a target that appears in time is pointed at', async () => {
  const { context, page } = await openPage(`<div id="slot"></div><script>
    setTimeout(() => { document.getElementById('slot').innerHTML = '<button id="late">Late button</button>'; }, 700);
  </script>`, policyConfig({ wait: '5s', then: 'abort' }));
  await page.evaluate(() => window.uptake.startTour('policy'));
  await page.getByRole('dialog', { name: 'The late one' }).waitFor();
  assert.equal(attachmentProblem(await cardAndTarget(page, '#late')), null);
  assert.deepEqual(await tourEvents(page), [['tour_step_viewed', 1, null]]);
  await context.close();
});

test('missing target, skip: the step is skipped after the wait, with an event saying so', async () => {
  const { context, page } = await openPage('<p>No such button here.</p>', policyConfig({ wait: '500ms', then: 'skip' }));
  await page.evaluate(() => window.uptake.startTour('policy'));
  await page.getByRole('dialog', { name: 'Second step' }).waitFor();
  assert.deepEqual(await tourEvents(page), [['tour_target_missing', 1, 'skip'], ['tour_step_viewed', 2, null]]);
  await context.close();
});

test('missing target, centered: the step is shown in the middle of the window', async () => {
  const { context, page } = await openPage('<p>No such button here.</p>', policyConfig({ wait: '500ms', then: 'centered' }));
  await page.evaluate(() => window.uptake.startTour('policy'));
  const step = page.getByRole('dialog', { name: 'The late one' });
  await step.waitFor();
  assert.equal(await step.getAttribute('data-side'), 'none', 'no arrow');
  assert.deepEqual(await tourEvents(page), [['tour_target_missing', 1, 'centered'], ['tour_step_viewed', 1, null]]);
  await context.close();
});

test('missing target, abort: the tour ends, with the reason', async () => {
  const { context, page } = await openPage('<p>No such button here.</p>', policyConfig({ wait: '500ms', then: 'abort' }));
  await page.evaluate(() => window.uptake.startTour('policy'));
  const events = await eventually(async () => {
    const events = await tourEvents(page);
    return events.length === 2 ? events : null;
  });
  assert.deepEqual(events, [['tour_target_missing', 1, 'abort'], ['tour_abandoned', 1, 'target_missing']]);
  assert.equal(await page.getByRole('dialog').count(), 0);
  await context.close();
});

test('hostile config strings are shown as text; nothing in them runs', async () => {
  const config = {
    version: 1,
    rules: [{ id: 'hostile', when: { event: 'show.tip' }, show: { prompt: 'hostile' } }],
    prompts: [{
      id: 'hostile',
      title: '<img src=x onerror=alert(1)>',
      body: '**Bold** <script>window.pwned = true</script> [bad](javascript:alert(2)) [docs](https://example.com/docs)',
      buttons: [{ label: '<b onmouseover=alert(3)>OK</b>' }],
    }],
  };
  const { context, page } = await openPage('<p>An app.</p>', config);
  const alerts = [];
  page.on('dialog', async (dialog) => { alerts.push(dialog.message()); await dialog.dismiss(); });
  await page.evaluate(() => window.uptake.track('show.tip'));
  const modal = page.getByRole('dialog', { name: '<img src=x onerror=alert(1)>' });
  await modal.waitFor();
  assert.equal(await modal.locator('.uptake-title').textContent(), '<img src=x onerror=alert(1)>');
  const inside = await modal.evaluate((dialog) => ({
    elements: [...dialog.querySelectorAll('*')].map((element) => element.localName).filter((name) => !['h2', 'p', 'div', 'button', 'strong', 'a'].includes(name)),
    links: [...dialog.querySelectorAll('a')].map((link) => link.getAttribute('href')),
    body: dialog.querySelector('.uptake-body').textContent,
  }));
  assert.deepEqual(inside.elements, [], 'no img, script or b element was made');
  assert.deepEqual(inside.links, ['https://example.com/docs'], 'only the safe link is a link');
  assert.equal(inside.body, 'Bold <script>window.pwned = true</script> bad docs');
  await modal.getByRole('button', { name: '<b onmouseover=alert(3)>OK</b>' }).hover();
  await page.waitForTimeout(200);
  assert.deepEqual(alerts, []);
  assert.equal(await page.evaluate(() => window.pwned), undefined);
  assert.deepEqual(page.uncaughtErrors, []);
  await context.close();
});

for (const [name, css] of [
  ['* { all: unset }', '* { all: unset !important; }'],
  ['div { display: none !important }', 'div { display: none !important; } uptake-root { display: none !important; }'],
  ['html { font-size: 62.5% }', 'html { font-size: 62.5%; } button { font: 30px serif; color: red; }'],
]) {
  test(`host CSS ${name} does not break the tooltip or the modal`, async () => {
    const config = tooltipConfig('#target', { placement: 'bottom' });
    config.settings = { throttle: { per_page_view: 5 } };
    config.rules.push({ id: 'modal', when: { event: 'show.modal' }, show: { prompt: 'modal' } });
    config.prompts.push({ id: 'modal', title: 'A modal', body: 'Still readable.', buttons: [{ label: 'Fine' }] });
    const { context, page } = await openPage(`<span style="display:inline-block;margin:100px"><button id="target">Target</button></span>`,
      config, { head: `<style>${css}</style>` });
    await showTip(page);
    const tooltip = await cardAndTarget(page, '#target');
    assert.equal(attachmentProblem(tooltip), null);
    assert.ok(tooltip.card.width > 150 && tooltip.card.height > 60, `laid out as a card: ${JSON.stringify(tooltip.card)}`);
    await page.getByRole('dialog', { name: 'Look here' }).getByRole('button', { name: 'Got it' }).click();
    await page.evaluate(() => window.uptake.track('show.modal'));
    const modal = page.getByRole('dialog', { name: 'A modal' });
    await modal.waitFor();
    await settled(modal);
    const styles = await modal.evaluate((dialog) => {
      const style = getComputedStyle(dialog);
      const button = getComputedStyle(dialog.querySelector('.uptake-primary'));
      return { padding: style.paddingTop, background: style.backgroundColor, button: button.backgroundColor, font: style.fontSize };
    });
    assert.deepEqual(styles, { padding: '24px', background: 'rgb(255, 255, 255)', button: 'rgb(29, 78, 216)', font: '16px' });
    assert.deepEqual(page.uncaughtErrors, []);
    await context.close();
  });
}
