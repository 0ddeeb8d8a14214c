import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';
import { awayFromWindowEdge } from '../support/window-edge.js';
import {
  type AdminGatewayUnderTest,
  type CreatedKey,
  channel,
  startAdminGatewayUnderTest,
} from './admin-helpers.js';

let fake: FakeUpstream;
let gw: AdminGatewayUnderTest;
const KEYS = ['stats-upstream-key-aaaa', 'stats-upstream-key-bbbb'];

beforeAll(async () => {
  fake = await startFakeUpstream();
  gw = await startAdminGatewayUnderTest({
    default_model: 'gpt-fake',
    routing: { max_attempts: 2 },
    channels: [channel({ name: 'fake', base_url: fake.baseUrl, keys: KEYS, models: ['gpt-fake', 'gpt-2'] })],
  });
  // Starting the Worker (GATEWAY_RUNTIME=workers) bundles it and starts workerd: seconds.
}, 120_000);
afterAll(async () => {
  await gw?.close();
  await fake?.close();
});

function simpleChat(body: unknown) {
  return fetch(`${gw.url}/chat`, { method: 'POST', body: JSON.stringify(body) });
}

describe('POST /chat', () => {
  it('answers {success: true, data: chat.completion}, with the configured default model', async () => {
    const res = await simpleChat({ token: gw.key, prompt: 'hello' });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      success: boolean;
      data: { object: string; model: string; choices: unknown[] };
    };
    expect(body.success).toBe(true);
    expect(body.data.object).toBe('chat.completion');
    expect(body.data.model).toBe('gpt-fake');
    expect(fake.requests.at(-1)?.json).toMatchObject({
      model: 'gpt-fake',
      messages: [{ role: 'user', content: 'hello' }],
    });
    const named = (await (await simpleChat({ token: gw.key, prompt: 'x', model: 'gpt-2' })).json()) as {
      data: { model: string };
    };
    expect(named.data.model).toBe('gpt-2');
  });

  it('answers {success: false, error} with the status the OpenAI route gives', async () => {
    const scoped = await gw.adminJson<CreatedKey>('POST', '/keys', { name: 'scoped', models: ['gpt-2'] });
    const revoked = await gw.adminJson<CreatedKey>('POST', '/keys', { name: 'revoked' });
    await gw.adminJson('DELETE', `/keys/${revoked.id}`);
    const cases: [unknown, number, RegExp][] = [
      [{ token: 'sk-wrong', prompt: 'hi' }, 401, /not valid/],
      [{ prompt: 'hi' }, 401, /token/],
      [{ token: gw.key }, 400, /prompt/],
      [{ token: gw.key, prompt: 'hi', model: 'no-such-model' }, 404, /no-such-model/],
      [{ token: scoped.key, prompt: 'hi' }, 403, /gpt-fake/],
      [{ token: revoked.key, prompt: 'hi' }, 401, /revoked/],
      ['[1,2]', 400, /object/],
    ];
    for (const [body, status, message] of cases) {
      const res = await fetch(`${gw.url}/chat`, {
        method: 'POST',
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
      expect(res.status, JSON.stringify(body)).toBe(status);
      const json = (await res.json()) as { success: boolean; error: string };
      expect(json.success).toBe(false);
      expect(json.error).toMatch(message);
    }
    fake.enqueue({ kind: 'status', status: 400, body: { error: { message: 'upstream says no' } } });
    const upstream = await simpleChat({ token: gw.key, prompt: 'hi' });
    expect(upstream.status).toBe(400);
    expect(((await upstream.json()) as { success: boolean }).success).toBe(false);
  });

  it('passes on the rate-limit headers, so a refused client knows when to come back', async () => {
    const limited = await gw.adminJson<CreatedKey>('POST', '/keys', {
      name: 'one-a-minute',
      limits: { rpm: 1 },
    });
    // Both requests in one clock minute (rpm windows): across a minute's end each is admitted.
    await awayFromWindowEdge(60_000, 10_000);
    const first = await simpleChat({ token: limited.key, prompt: 'hi' });
    expect(first.status).toBe(200);
    expect(first.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    const refused = await simpleChat({ token: limited.key, prompt: 'again' });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await refused.json()) as { success: boolean }).success).toBe(false);
  });

  it('passes on x-should-retry: false when no wait helps, so a refused client stops retrying', async () => {
    // Any prompt and its output reserve are more than one token a minute: no window admits it.
    const tiny = await gw.adminJson<CreatedKey>('POST', '/keys', { name: 'one-token', limits: { tpm: 1 } });
    const refused = await simpleChat({ token: tiny.key, prompt: 'hi' });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBeNull();
    expect(refused.headers.get('x-should-retry')).toBe('false');
  });
});

describe('stats', () => {
  it('GET /admin/api/stats counts users, keys, channels and per-channel requests and errors', async () => {
    const before = await gw.adminJson<{
      per_channel: { channel: string; requests: number; errors: number }[];
    }>('GET', '/admin/api/stats');
    const counted = (s: typeof before) =>
      s.per_channel.find((c) => c.channel === 'fake') ?? { requests: 0, errors: 0 };
    fake.enqueue({ kind: 'status', status: 500 });
    expect((await gw.chat(gw.key, 'gpt-fake')).status).toBe(200);
    const after = await gw.adminJson<{
      users: { total: number };
      keys: { total: number; active: number };
      channels: { total: number; enabled: number };
      per_channel: { channel: string; requests: number; errors: number; keys: { key: string }[] }[];
    }>('GET', '/admin/api/stats');
    expect(counted(after).requests - counted(before).requests).toBe(2);
    expect(counted(after).errors - counted(before).errors).toBe(1);
    expect(after.users.total).toBeGreaterThanOrEqual(1);
    expect(after.keys.total).toBeGreaterThan(after.keys.active - 1);
    expect(after.channels).toEqual({ total: 1, enabled: 1 });
    expect(after.per_channel[0]?.keys.map((k) => k.key).sort()).toEqual(['sta…aaaa', 'sta…bbbb']);
  });

  it('GET /admin/api/stats and /admin/api/usage say their costs are in USD when no price names a currency', async () => {
    expect((await gw.adminJson<{ currency: string }>('GET', '/admin/api/stats')).currency).toBe('USD');
    expect((await gw.adminJson<{ currency: string }>('GET', '/admin/api/usage')).currency).toBe('USD');
  });

  it('GET /stats shows per-channel and per-key counters, health and the strategy, keys masked', async () => {
    const res = await gw.admin('GET', '/stats');
    expect(res.status).toBe(200);
    const text = await res.text();
    for (const key of KEYS) expect(text).not.toContain(key);
    const stats = JSON.parse(text) as {
      strategy: { default: string };
      channels: {
        channel: string;
        requests: number;
        errors: number;
        health: string;
        keys: { index: number; key: string; requests: number; errors: number }[];
      }[];
    };
    expect(stats.strategy.default).toBe('weighted-random');
    const fakeStats = stats.channels.find((c) => c.channel === 'fake');
    expect(fakeStats?.requests).toBeGreaterThan(0);
    expect(fakeStats?.keys.map((k) => k.key)).toEqual(['sta…aaaa', 'sta…bbbb']);
    expect(fakeStats?.keys.reduce((sum, k) => sum + k.requests, 0)).toBe(fakeStats?.requests);
    expect(typeof fakeStats?.health).toBe('string');
  });
});

describe('provider presets for the panel', () => {
  it('lists every provider a channel can name, with its default base URL', async () => {
    const gw = await startAdminGatewayUnderTest();
    try {
      const res = await gw.admin('GET', '/providers');
      expect(res.status).toBe(200);
      const { data } = (await res.json()) as {
        data: { name: string; base_url: string | null; requires_key: boolean; wire: string }[];
      };
      const byName = new Map(data.map((p) => [p.name, p]));
      expect(byName.get('openai')).toEqual({
        name: 'openai',
        base_url: 'https://api.openai.com/v1',
        requires_key: true,
        wire: 'openai',
      });
      expect(byName.get('anthropic')?.wire).toBe('anthropic');
      expect(byName.get('ollama')?.requires_key).toBe(false);
      expect((await gw.admin('GET', '/providers', undefined, 'wrong-token-wrong-token')).status).toBe(401);
    } finally {
      await gw.close();
    }
  });
});
