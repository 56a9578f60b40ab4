// Types of the Uptake SDK's public API.

/** Event properties and user or account traits: anything JSON can carry. */
export type Properties = Record<string, unknown>;

export interface UptakeOptions {
  /** The collector's origin, such as "https://collector.example.com". */
  collector: string;
  /** The write key of this app, as configured on the collector. */
  writeKey: string;
  /**
   * A compiled config to use instead of fetching it from the collector: the JSON array that
   * `uptake-collector compile config.json` prints (the collector checks and compiles the config).
   */
  config?: unknown[];
  /** Track a page view when the SDK starts (default true). */
  autoPage?: boolean;
  /** Send a batch as soon as this many events are queued (1 to 500, default 50; a batch also stops at 64 KB). */
  flushAt?: number;
  /** Send what is queued after this many milliseconds (100 to 600000, default 5000). */
  flushInterval?: number;
  /** Calls made before the SDK loaded, replayed in order: [["track", "name", {...}], ...]. */
  queue?: unknown[][];
  /** Where the WebAssembly file is, when not next to this module. */
  wasmUrl?: string | URL;
}

/**
 * This device's record of one feature, and where the user stands with it today. The day offset
 * and the thresholds are the config's `settings` (the defaults below before it has loaded).
 */
export interface FeatureUsage {
  count: number;
  /** ISO 8601 timestamps; null when the feature was not used yet. */
  firstUsed: string | null;
  lastUsed: string | null;
  /** Days on which the feature was used. */
  activeDays: number;
  /** Whether the feature's entry point was seen. */
  entrySeen: boolean;
  /**
   * Over the last 28 days: used on at least 12 of them (daily), else in at least 3 of the 4 weeks
   * (weekly), else at least once (monthly); lapsed: used before, not in 28 days; never used.
   */
  frequency: 'daily' | 'weekly' | 'monthly' | 'lapsed' | 'never';
  /**
   * What stands between the user and the feature: never used and its entry point never seen
   * (unaware); seen, never used (stuck); used, not in the last 30 days (unconvinced); none.
   */
  barrier: 'unaware' | 'stuck' | 'unconvinced' | 'none';
}

/** Where the user stands in the adoption model. */
export interface Adoption {
  /** 0 (not activated) to 5 (power user). */
  level: number;
  recency: 'new' | 'active' | 'at_risk' | 'dormant';
  /** The share of applicable features used lately, 0 to 1. */
  depth: number;
}

export interface Uptake {
  /** The user did something. */
  track(event: string, properties?: Properties): void;
  /** Who the user is. */
  identify(userId: string, traits?: Properties): void;
  /** The account the user belongs to. */
  group(accountId: string, traits?: Properties): void;
  /** A page view (one is tracked when the SDK starts unless autoPage is false). */
  page(name?: string, properties?: Properties): void;
  page(properties: Properties): void;
  /** A call in the snippet's form: ["track", "name", {...}]. */
  push(call: [string, ...unknown[]]): void;
  /**
   * Sends everything queued now; resolves when the collector has answered. In a tab that is not
   * the one sending for the app's tabs, resolves once the events are stored on the device and the
   * sending tab has been asked to send them.
   */
  flush(): Promise<void>;
  /** Null for a feature neither in the config's catalog nor recorded on this device. */
  featureUsage(featureId: string): FeatureUsage | null;
  /** Null until the config has loaded. */
  adoption(): Adoption | null;
  /**
   * Starts a tour of the config now, replacing any tour in progress. While the config is being
   * fetched, a tour it does not have yet starts when it arrives (true). False, with a warning,
   * when the config has no such tour.
   */
  startTour(tourId: string): boolean;
  /** Logs to the console why each rule did or did not fire, now and after each evaluation. */
  debug(on: boolean): void;
  anonymousId(): string;
}

/** Starts the SDK; resolves to its API and never rejects. */
export function load(options: UptakeOptions): Promise<Uptake>;
