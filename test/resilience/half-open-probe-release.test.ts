import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';
import { channel, startTestGateway, type TestGateway } from '../support/start-gateway.js';
import { byKey, chat, FAST_ROUTING } from './support.js';

let fake: FakeUpstream;
const gateways: TestGateway[] = [];
beforeAll(async () => {
  fake = await startFakeUpstream();
});
afterAll(async () => {
  await Promise.all(gateways.map((g) => g.close()));
  await fake.close();
});

/**
 * A half-open channel's probe is claimed by one request; whatever that probe's answer, the claim
 * must be freed, or the channel is out of rotation for good.
 */
describe('the probe of a half-open channel', { timeout: 20_000 }, () => {
  /**
   * A `primary` channel (key `primaryKey`) before a `backup`, on a clock the test moves; three
   * 500s open the primary's breaker and its cooldown passes: the next request is its probe.
   */
  async function halfOpenPrimary(primaryKey: string, routing: Record<string, unknown> = {}) {
    fake.reset();
    const clock = { t: Date.parse('2026-12-01T10:00:00Z') };
    const gw = await startTestGateway(
      {
        channels: [
          channel({
            name: 'primary',
            base_url: fake.baseUrl,
            keys: [primaryKey],
            models: ['m'],
            priority: 0,
          }),
          channel({
            name: 'backup',
            base_url: fake.baseUrl,
            keys: [`${primaryKey}-backup`],
            models: ['m'],
            priority: 1,
          }),
        ],
        routing: { ...FAST_ROUTING, ...routing },
      },
      {},
      { now: () => clock.t },
    );
    gateways.push(gw);
    // Three 500s open primary's breaker (threshold 3); each request is served by backup.
    fake.onKey(primaryKey, { kind: 'status', status: 500 });
    for (let i = 0; i < 3; i++) expect((await chat(gw)).status).toBe(200);
    expect(byKey(fake.requests, primaryKey)).toHaveLength(3);
    clock.t += 6_000;
    return { gw, clock };
  }

  it('a half-open probe answered with a model-level 404 leaves the channel back in rotation after model_missing_cooldown_ms', async () => {
    const { gw, clock } = await halfOpenPrimary('k-primary', { model_missing_cooldown_ms: 60_000 });
    // The half-open probe hits a model-level 404 (a deployment briefly missing).
    fake.onKey('k-primary', { kind: 'status', status: 404 });
    expect((await chat(gw)).status).toBe(404);
    expect(byKey(fake.requests, 'k-primary')).toHaveLength(4);
    // The upstream is fixed; the model mark ends after model_missing_cooldown_ms (docs/routing.md).
    fake.onKey('k-primary', { kind: 'ok' });
    clock.t += 61_000 + 3_600_000;
    for (let i = 0; i < 5; i++) expect((await chat(gw)).status).toBe(200);
    expect(byKey(fake.requests, 'k-primary').length).toBeGreaterThan(4);
  });

  it('a half-open probe answered 401, then the key re-enabled by the admin: the channel is back', async () => {
    const { gw, clock } = await halfOpenPrimary('k-primary2');
    // The probe: the upstream account's key is refused (billing lapsed), the request fails over.
    fake.onKey('k-primary2', { kind: 'status', status: 401 });
    expect((await chat(gw)).status).toBe(200);
    expect(byKey(fake.requests, 'k-primary2')).toHaveLength(4);
    // The operator fixes the account and re-enables the key (docs: "puts it back immediately").
    fake.onKey('k-primary2', { kind: 'ok' });
    expect(await gw.node.gateway.health.reenableKey('primary', 0)).toBe(true);
    clock.t += 3_600_000;
    for (let i = 0; i < 5; i++) expect((await chat(gw)).status).toBe(200);
    expect(byKey(fake.requests, 'k-primary2').length).toBeGreaterThan(4);
  });
});
