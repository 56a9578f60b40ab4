// A feature's entry point given as a CSS selector is seen on the device, and the collector must
// know it too: the first sighting per feature and user is sent as `feature_entry_seen`, so the
// collector can tell a user who never saw the feature (unaware) from one who saw it and did not
// use it (stuck). `featureUsage` gives the feature's frequency class and barrier as the core's
// adoption model computes them.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { collectorAndBrowser, sdkReady } from './harness.mjs';

const shared = collectorAndBrowser();

function exportUsage(page) {
  return page.evaluate(() => window.uptake.featureUsage('reports.export'));
}

/** The `feature_entry_seen` events the collector stored for a visitor: their `feature`. */
function entriesSeen(anonymousId) {
  return shared.collector.query(`SELECT json_extract(body, '$.properties.feature'), user_id FROM events
    WHERE anonymous_id = '${anonymousId}' AND event = 'feature_entry_seen'`);
}

test('the export button shown on two page loads is sent once; featureUsage goes unaware, stuck, none', async () => {
  const { context, page } = await shared.openDemo('/');
  await page.waitForFunction(() => window.uptake.adoption() !== null); // the config has loaded
  const anonymousId = await page.evaluate(() => window.uptake.anonymousId());
  // On the invoices, the Reports view and its #export-csv (reports.export's entry point) are hidden.
  assert.deepEqual(await exportUsage(page), {
    count: 0, firstUsed: null, lastUsed: null, activeDays: 0, entrySeen: false, frequency: 'never', barrier: 'unaware',
  });

  // First page load: the app's route to Reports shows the button.
  await page.getByRole('link', { name: 'Reports' }).click();
  await page.waitForFunction(() => window.uptake.featureUsage('reports.export').entrySeen);
  const seen = await exportUsage(page);
  assert.deepEqual([seen.count, seen.frequency, seen.barrier], [0, 'never', 'stuck']);
  await page.evaluate(() => window.uptake.flush());
  assert.deepEqual(entriesSeen(anonymousId), [['reports.export', 'u-42']], 'the first sighting is sent');

  // Second page load, on Reports: the user's stored state has the sighting.
  await page.reload();
  await sdkReady(page);
  await page.locator('#export-csv').waitFor({ state: 'visible' });
  await page.waitForFunction(() => window.uptake.adoption() !== null);
  // A page view checks the page's elements at once: from here on, this page has seen the button.
  await page.evaluate(() => window.uptake.page());
  const stillStuck = await exportUsage(page);
  assert.deepEqual([stillStuck.entrySeen, stillStuck.frequency, stillStuck.barrier], [true, 'never', 'stuck']);

  await page.evaluate(() => window.uptake.track('report.exported', { format: 'csv' }));
  const used = await exportUsage(page);
  assert.deepEqual([used.count, used.activeDays, used.frequency, used.barrier], [1, 1, 'monthly', 'none']);
  await page.evaluate(() => window.uptake.flush());
  const exported = shared.collector.query(`SELECT count(*) FROM events
    WHERE anonymous_id = '${anonymousId}' AND event = 'report.exported'`)[0][0];
  assert.equal(exported, 1, 'the second page sent what it recorded');
  assert.deepEqual(entriesSeen(anonymousId), [['reports.export', 'u-42']], 'once per feature and user');
  assert.deepEqual(page.uncaughtErrors, []);
  await context.close();
});
