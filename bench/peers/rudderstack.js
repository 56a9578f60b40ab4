// @rudderstack/analytics-js, its "bundled" build (plugins inside, nothing fetched from
// RudderStack's CDN), its source config and data plane served by the local collector.
import { RudderAnalytics } from '@rudderstack/analytics-js/bundled';

const analytics = new RudderAnalytics();

window.benchSdk = {
  ready: new Promise((resolve) => {
    analytics.load('bench', `${location.origin}/rudderstack`, {
      configUrl: `${location.origin}/rudderstack-config`,
      loadIntegration: false,
      onLoaded: () => resolve(),
    });
  }),
  track: (event, properties) => analytics.track(event, properties),
};
