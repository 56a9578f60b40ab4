// Targets inside web components that render later, in headless Chromium: a tour step whose
// target a nested shadow root renders 2 s after the page loads is pointed at as soon as it
// appears, not when its wait ends; a tooltip whose target a framework removes and renders again
// (another element, elsewhere) while the tooltip is shown moves to the new one.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  attachmentProblem, cardAndTarget, collectorAndBrowser, eventually, fixtureHtml, newPage, openFixture,
} from './harness.mjs';

const shared = collectorAndBrowser();

/** `<app-shell>` holds `<app-panel>`, each with an open shadow root; the panel renders `inner`. */
const COMPONENTS = `<script>
  customElements.define('app-panel', class extends HTMLElement {
    connectedCallback() {
      this.root = this.attachShadow({ mode: 'open' });
      this.render('');
    }
    render(inner) {
      this.root.innerHTML = '<section style="padding:40px">' + inner + '</section>';
    }
  });
  customElements.define('app-shell', class extends HTMLElement {
    connectedCallback() {
      this.attachShadow({ mode: 'open' }).innerHTML = '<main style="padding:60px 120px"><app-panel></app-panel></main>';
    }
  });
  window.panel = () => document.querySelector('app-shell').shadowRoot.querySelector('app-panel');
</script><app-shell></app-shell>`;

let fixtures = 0;

async function openPage(config, script = '') {
  const context = await shared.browser.newContext({ viewport: { width: 1000, height: 700 } });
  const page = await newPage(context);
  fixtures += 1;
  await openFixture(page, shared.collector.url, `/shadow-${fixtures}.html`,
    fixtureHtml({ body: COMPONENTS + script, config }));
  await page.waitForFunction(() => window.uptake && typeof window.uptake.track === 'function');
  return { context, page };
}

test('a tour step whose target a nested shadow root renders 2 s later is pointed at when it appears', async () => {
  const { context, page } = await openPage({
    version: 1,
    tours: [{ id: 'deep', steps: [
      { target: '#deep-target', title: 'Deep down', missing_target: { wait: '20s', then: 'skip' } },
      { title: 'Next' },
    ] }],
  }, `<script>setTimeout(() => {
    window.appearedAt = performance.now();
    panel().render('<button id="deep-target">Approve all</button>');
  }, 2000);</script>`);
  await page.evaluate(() => window.uptake.startTour('deep'));
  const step = page.getByRole('dialog', { name: 'Deep down' });
  await step.waitFor({ timeout: 10_000 });
  const late = await page.evaluate(() => performance.now() - window.appearedAt);
  assert.ok(late < 1_000, `shown ${Math.round(late)} ms after its target appeared`);
  assert.equal(attachmentProblem(await cardAndTarget(page, '#deep-target')), null);
  assert.deepEqual(page.uncaughtErrors, []);
  await context.close();
});

test('a tooltip whose target is removed and rendered again elsewhere moves to the new one', async () => {
  const { context, page } = await openPage({
    version: 1,
    rules: [{ id: 'tip', when: { event: 'show.tip' }, show: { prompt: 'tip' }, frequency: { stop_when: [] } }],
    prompts: [{
      id: 'tip', title: 'Approve here', body: 'One click approves the invoice.',
      display: { tooltip: { target: '#approve', placement: 'bottom' } }, buttons: [{ label: 'Got it' }],
    }],
  }, `<script>panel().render('<button id="approve">Approve</button>');</script>`);
  await page.evaluate(() => window.uptake.track('show.tip'));
  const tooltip = page.getByRole('dialog', { name: 'Approve here' });
  await tooltip.waitFor();
  assert.equal(attachmentProblem(await cardAndTarget(page, '#approve')), null, 'attached first');
  const before = (await cardAndTarget(page, '#approve')).target;
  // A re-render: the button goes, and a new one comes 150 px lower.
  await page.evaluate(() => {
    panel().render('');
    requestAnimationFrame(() => panel().render('<div style="height:150px"></div><button id="approve">Approve</button>'));
  });
  const moved = await eventually(async () => {
    const boxes = await cardAndTarget(page, '#approve');
    return boxes && boxes.target.y > before.y + 100 && !attachmentProblem(boxes) ? boxes : null;
  }, { timeout: 3_000, interval: 50 });
  assert.ok(moved, `the tooltip follows the new button: ${attachmentProblem(await cardAndTarget(page, '#approve'))}`);
  assert.deepEqual(page.uncaughtErrors, []);
  await context.close();
});
