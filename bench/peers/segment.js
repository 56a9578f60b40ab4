// @segment/analytics-next from npm with its settings given inline (no fetch from Segment's CDN)
// and its Segment.io destination pointed at the local collector.
import { AnalyticsBrowser } from '@segment/analytics-next';

const analytics = AnalyticsBrowser.load(
  {
    writeKey: 'bench',
    cdnSettings: {
      integrations: {
        'Segment.io': { apiKey: 'bench', apiHost: `${location.host}/segment`, protocol: 'http' },
      },
    },
  },
  { initialPageview: false },
);

window.benchSdk = {
  ready: analytics.then(() => undefined),
  track: (event, properties) => analytics.track(event, properties),
};
