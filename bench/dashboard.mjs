// How long the dashboard's overview takes to be ready on a running collector, in headless
// Chromium: from the navigation's start until the page shows its figures (the route drawn, no
// longer busy, its "as of" line written), signed in with the admin key. Prints the median and
// each page's time. Run it against the collector of `cargo bench -p uptake-collector --bench
// metrics`, or any collector with a history:
//
//   node bench/dashboard.mjs --url http://127.0.0.1:8080 --key ADMIN_KEY [--pages 5] [--route overview]

import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';

const { values: args } = parseArgs({
  options: {
    url: { type: 'string' },
    key: { type: 'string' },
    pages: { type: 'string', default: '5' },
    route: { type: 'string', default: 'overview' },
  },
});
if (!args.url || !args.key) throw new Error('give --url (the collector) and --key (its admin key)');

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium' });
const times = [];
try {
  for (let page = 0; page < Number(args.pages); page += 1) {
    const context = await browser.newContext();
    await context.addInitScript((key) => sessionStorage.setItem('uptake.dashboard.adminKey', key), args.key);
    const tab = await context.newPage();
    await tab.goto(`${args.url}/dashboard/#/${args.route}`);
    await tab.waitForFunction(() => {
      const main = document.getElementById('main');
      return !main.hasAttribute('aria-busy') && main.dataset.route === location.hash && main.querySelector('.meta');
    }, null, { timeout: 60_000 });
    times.push(await tab.evaluate(() => performance.now()));
    await context.close();
  }
} finally {
  await browser.close();
}
const sorted = [...times].sort((a, b) => a - b);
console.log(`${args.route} ready: median ${sorted[Math.floor(sorted.length / 2)].toFixed(0)} ms `
  + `(${times.map((time) => time.toFixed(0)).join(', ')} ms)`);
