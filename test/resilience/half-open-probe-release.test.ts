import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';
import { waitFor } from '../support/http.js';
import { channel, startTestGateway, type TestGateway } from '../support/start-gateway.js';
import { byKey, chat, FAST_ROUTING, startGateway } from './support.js';

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
 * must be freed, or the channel is out of rotation for good. And an error body that stalls is a
 * time-out like any other, failed over, not relayed cut short.
 */
describe('the probe of a half-open channel, and error bodies that stall', { timeout: 20_000 }, () => {
  it('a half-open probe answered with a model-level 404 leaves the channel back in rotation after model_missing_cooldown_ms', async () => {
    fake.reset();
    const clock = { t: Date.parse('2026-12-01T10:00:00Z') };
    const gw = await startTestGateway(
      {
        channels: [
          channel({
            name: 'primary',
            base_url: fake.baseUrl,
            keys: ['k-primary'],
            models: ['m'],
            priority: 0,
          }),
          channel({ name: 'backup', base_url: fake.baseUrl, keys: ['k-backup'], models: ['m'], priority: 1 }),
        ],
        routing: { ...FAST_ROUTING, model_missing_cooldown_ms: 60_000 },
      },
      {},
      { now: () => clock.t },
    );
    gateways.push(gw);
    // Three 500s open primary's breaker (threshold 3); each request is served by backup.
    fake.onKey('k-primary', { kind: 'status', status: 500 });
    for (let i = 0; i < 3; i++) expect((await chat(gw)).status).toBe(200);
    expect(byKey(fake.requests, 'k-primary')).toHaveLength(3);
    // Cooldown over: the half-open probe hits a model-level 404 (a deployment briefly missing).
    clock.t += 6_000;
    fake.onKey('k-primary', { kind: 'status', status: 404 });
    expect((await chat(gw)).status).toBe(404);
    expect(byKey(fake.requests, 'k-primary')).toHaveLength(4);
    // The upstream is fixed; the model mark ends after model_missing_cooldown_ms (docs/routing.md).
    fake.onKey('k-primary', { kind: 'ok' });
    clock.t += 61_000;
    // Even far later, the primary is never tried again.
    clock.t += 3_600_000;
    for (let i = 0; i < 5; i++) expect((await chat(gw)).status).toBe(200);
    expect(byKey(fake.requests, 'k-primary').length).toBeGreaterThan(4);
  });

  it('a half-open probe answered 401, then the key re-enabled by the admin: the channel is back', async () => {
    fake.reset();
    const clock = { t: Date.parse('2026-12-01T10:00:00Z') };
    const gw = await startTestGateway(
      {
        channels: [
          channel({
            name: 'primary',
            base_url: fake.baseUrl,
            keys: ['k-primary2'],
            models: ['m'],
            priority: 0,
          }),
          channel({
            name: 'backup',
            base_url: fake.baseUrl,
            keys: ['k-backup2'],
            models: ['m'],
            priority: 1,
          }),
        ],
        routing: FAST_ROUTING,
      },
      {},
      { now: () => clock.t },
    );
    gateways.push(gw);
    fake.onKey('k-primary2', { kind: 'status', status: 500 });
    for (let i = 0; i < 3; i++) expect((await chat(gw)).status).toBe(200);
    clock.t += 6_000;
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

  it('a 400 whose error body stalls is a time-out and fails over (docs/routing.md), not a truncated body relayed', async () => {
    fake.reset();
    const stalling: Server = createServer((_req, res) => {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.write('{"error":{"message":"bad param');
    });
    await new Promise<void>((resolve) => stalling.listen(0, '127.0.0.1', resolve));
    try {
      const gw = await startGateway({
        channels: [
          channel({
            name: 'stalling',
            base_url: `http://127.0.0.1:${(stalling.address() as AddressInfo).port}/v1`,
            keys: ['k-stall'],
            models: ['m'],
            priority: 0,
            timeout: { first_byte_ms: 300, total_ms: 300 },
          }),
          channel({ name: 'good', base_url: fake.baseUrl, keys: ['k-good'], models: ['m'], priority: 1 }),
        ],
      });
      gateways.push(gw);
      const res = await chat(gw, {}, { signal: AbortSignal.timeout(10_000) });
      await res.text();
      const usage = await waitFor(() => gw.usage.at(-1), 'usage record');
      expect(res.status).toBe(200);
      expect(usage.attempts.map((a) => a.channel)).toEqual(['stalling', 'good']);
    } finally {
      stalling.closeAllConnections();
      stalling.close();
    }
  });
});
