// @snowplow/browser-tracker from npm, POSTing to the local collector, with the page context off
// and events as plain JSON (no base64), so the collector can read their sequence numbers.
import { newTracker, trackSelfDescribingEvent } from '@snowplow/browser-tracker';

newTracker('bench', `${location.origin}/snowplow`, {
  appId: 'bench',
  eventMethod: 'post',
  encodeBase64: false,
  contexts: { webPage: false },
});

window.benchSdk = {
  ready: Promise.resolve(),
  track: (event, properties) =>
    trackSelfDescribingEvent({ event: { schema: `iglu:com.uptake.bench/${event}/jsonschema/1-0-0`, data: properties } }),
};
