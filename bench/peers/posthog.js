// posthog-js as an app installs it from npm, sending only to the local collector, with
// autocapture, page views, session recording, surveys, feature flags and every other extra off.
import posthog from 'posthog-js';

window.benchSdk = {
  ready: new Promise((resolve) => {
    posthog.init('phc_bench', {
      api_host: `${location.origin}/posthog`,
      autocapture: false,
      capture_pageview: false,
      capture_pageleave: false,
      capture_dead_clicks: false,
      capture_heatmaps: false,
      capture_performance: false,
      capture_exceptions: false,
      rageclick: false,
      disable_session_recording: true,
      disable_surveys: true,
      disable_product_tours: true,
      disable_conversations: true,
      disable_web_experiments: true,
      disable_external_dependency_loading: true,
      advanced_disable_flags: true,
      disable_compression: true,
      // Headless Chromium's user agent looks like a bot, whose events PostHog drops.
      opt_out_useragent_filter: true,
      loaded: () => resolve(),
    });
  }),
  track: (event, properties) => posthog.capture(event, properties),
};
