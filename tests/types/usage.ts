// Type-checked against pkg/index.d.ts by `tsc -p tests/types`: how a TypeScript app uses the
// SDK, and misuses the types must reject (each @ts-expect-error fails the check if it is not
// an error, so loose `any` types would be caught).

import { load, type Adoption, type FeatureUsage, type Uptake } from '../../pkg/index.js';

export async function start(): Promise<Uptake> {
  const uptake = await load({ collector: 'https://collector.example.com', writeKey: 'dev', flushAt: 10 });
  uptake.identify('u-42', { role: 'admin', signed_up_at: '2026-08-01' });
  uptake.group('acme', { plan: 'pro', seats: 40 });
  uptake.track('invoice.approved', { invoice_id: 'INV-1', manual: true });
  uptake.track('report.opened');
  uptake.page();
  uptake.page('Invoices');
  uptake.page({ section: 'billing' });
  uptake.push(['track', 'invoice.opened', { invoice_id: 'INV-2' }]);
  const usage: FeatureUsage | null = uptake.featureUsage('invoices.approve');
  const count: number | undefined = usage?.count;
  const frequency: 'daily' | 'weekly' | 'monthly' | 'lapsed' | 'never' | undefined = usage?.frequency;
  if (usage?.barrier === 'stuck') uptake.track('hint.shown', { feature: 'invoices.approve', frequency });
  // @ts-expect-error a barrier is one of four
  const barrier: 'confused' | undefined = usage?.barrier;
  void barrier;
  const anonymous: string = uptake.anonymousId();
  const adoption: Adoption | null = uptake.adoption();
  const level: number | undefined = adoption?.level;
  void level;
  // @ts-expect-error recency is one of four classes
  const recency: 'sometimes' | undefined = adoption?.recency;
  void recency;
  const started: boolean = uptake.startTour('invoices-tour');
  void started;
  uptake.debug(true);
  // @ts-expect-error tour ids are strings
  uptake.startTour(7);
  await uptake.flush();
  void count;
  void anonymous;

  // @ts-expect-error the event name is required
  uptake.track();
  // @ts-expect-error event names are strings
  uptake.track(42);
  // @ts-expect-error properties are an object
  uptake.track('x', 'not an object');
  // @ts-expect-error a write key is required
  await load({ collector: 'https://collector.example.com' });
  // @ts-expect-error flush returns a promise of nothing
  const flushed: Promise<number> = uptake.flush();
  void flushed;
  return uptake;
}
