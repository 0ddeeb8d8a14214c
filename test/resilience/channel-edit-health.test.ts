import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AdminGatewayUnderTest, startAdminGatewayUnderTest } from '../admin/admin-helpers.js';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';

// Router health is kept by channel name. An operator who fixes a channel's wrong base_url or
// replaces its keys (PATCH) fixed what the health was about: a model marked unavailable (10
// minutes) or a breaker left open kept the channel out after the fix all the same.

let wrong: FakeUpstream;
let right: FakeUpstream;
let gw: AdminGatewayUnderTest;

beforeAll(async () => {
  wrong = await startFakeUpstream();
  right = await startFakeUpstream();
  gw = await startAdminGatewayUnderTest({
    routing: {
      max_attempts: 1,
      breaker: { failure_threshold: 1, cooldown_ms: 600_000, max_cooldown_ms: 600_000 },
    },
  });
  // Starting the Worker (GATEWAY_RUNTIME=workers) bundles it and starts workerd: seconds.
}, 120_000);
afterAll(async () => {
  await gw?.close();
  await wrong?.close();
  await right?.close();
});

async function healthOf(channel: string): Promise<string[]> {
  const stats = (await (await gw.admin('GET', '/stats')).json()) as {
    channels: { channel: string; keys: { health: { state: string }[] }[] }[];
  };
  const found = stats.channels.find((c) => c.channel === channel);
  return (found?.keys ?? []).flatMap((k) => k.health.map((h) => h.state));
}

describe('an edit of where or how a channel connects clears its health', () => {
  it('a breaker opened by a wrong base_url lets the channel in again once the base_url is fixed', async () => {
    await gw.adminJson('POST', '/channels', {
      name: 'moved',
      provider: 'openai-compatible',
      base_url: wrong.baseUrl,
      keys: ['sk-moved-key-0001'],
      models: ['m1'],
    });
    wrong.onKey('sk-moved-key-0001', { kind: 'status', status: 500 });
    expect((await gw.chat(gw.key, 'm1')).status).toBe(502);
    expect(await healthOf('moved')).toEqual(['open']);

    await gw.adminJson('PATCH', '/channels/moved', { base_url: right.baseUrl });
    expect(await healthOf('moved')).toEqual([]);
    expect((await gw.chat(gw.key, 'm1')).status).toBe(200);
    expect(right.requests).toHaveLength(1);
  });

  it('a model marked unavailable with the wrong keys is served once the keys are replaced', async () => {
    await gw.adminJson('POST', '/channels', {
      name: 'rekeyed',
      provider: 'openai-compatible',
      base_url: right.baseUrl,
      keys: ['sk-other-account-0002'],
      models: ['m2'],
    });
    right.onKey('sk-other-account-0002', {
      kind: 'status',
      status: 404,
      body: { error: { message: 'The model m2 does not exist or you do not have access to it' } },
    });
    expect((await gw.chat(gw.key, 'm2')).status).toBe(404);
    expect(await healthOf('rekeyed')).toContain('model_unavailable');

    await gw.adminJson('PATCH', '/channels/rekeyed', { keys: ['sk-right-account-0003'] });
    expect(await healthOf('rekeyed')).toEqual([]);
    expect((await gw.chat(gw.key, 'm2')).status).toBe(200);
  });

  it('an edit that leaves the connection alone (weight) keeps the health it has', async () => {
    await gw.adminJson('POST', '/channels', {
      name: 'weighed',
      provider: 'openai-compatible',
      base_url: wrong.baseUrl,
      keys: ['sk-down-key-0004'],
      models: ['m3'],
    });
    wrong.onKey('sk-down-key-0004', { kind: 'status', status: 500 });
    expect((await gw.chat(gw.key, 'm3')).status).toBe(502);
    await gw.adminJson('PATCH', '/channels/weighed', { weight: 5 });
    expect(await healthOf('weighed')).toEqual(['open']);
  });
});
