import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';
import { errorOf } from '../support/http.js';
import { type AdminGatewayUnderTest, channel, startAdminGatewayUnderTest } from './admin-helpers.js';

let fake: FakeUpstream;
let gw: AdminGatewayUnderTest;
const FILE_KEY = 'file-upstream-key-7777';

beforeAll(async () => {
  fake = await startFakeUpstream();
  gw = await startAdminGatewayUnderTest({
    channels: [
      channel({ name: 'from-file', base_url: fake.baseUrl, keys: [FILE_KEY], models: ['gpt-file'] }),
    ],
  });
  // Starting the Worker (GATEWAY_RUNTIME=workers) bundles it and starts workerd: seconds.
}, 120_000);
afterAll(async () => {
  await gw?.close();
  await fake?.close();
});

interface ChannelView {
  id: string;
  name: string;
  keys: string[];
  models: string[];
  enabled: boolean;
  source: string;
  priority: number;
  base_url: string | null;
}

describe('channels managed live', () => {
  it('lists the config file channels as file-managed, keys masked', async () => {
    const list = await gw.adminJson<{ data: ChannelView[] }>('GET', '/channels');
    expect(list.data).toEqual([
      expect.objectContaining({ name: 'from-file', source: 'file', enabled: true, keys: ['fil…7777'] }),
    ]);
    expect(JSON.stringify(list)).not.toContain(FILE_KEY);
  });

  it('adds a channel that serves the next request, then disables, re-enables, edits and removes it', async () => {
    const upstreamKey = 'live-upstream-key-123456';
    const created = await gw.adminJson<ChannelView>('POST', '/channels', {
      name: 'live',
      provider: 'openai-compatible',
      base_url: fake.baseUrl,
      keys: [upstreamKey],
      models: ['gpt-live'],
    });
    expect(created).toMatchObject({
      id: 'live',
      source: 'api',
      enabled: true,
      keys: ['liv…3456'],
      priority: 0,
    });
    expect(JSON.stringify(created)).not.toContain(upstreamKey);

    const client = new OpenAI({ apiKey: gw.key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const answer = await client.chat.completions.create({
      model: 'gpt-live',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(answer.choices[0]?.message.content).toBe('fake answer from gpt-live');
    expect(fake.requests.at(-1)?.headers.authorization).toBe(`Bearer ${upstreamKey}`);
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toContain('gpt-live');

    await gw.adminJson('PATCH', '/channels/live', { enabled: false });
    const refused = await gw.chat(gw.key, 'gpt-live');
    expect(refused.status).toBe(404);
    expect((await errorOf(refused)).code).toBe('model_not_found');

    await gw.adminJson('PATCH', '/channels/live', { enabled: true });
    expect((await gw.chat(gw.key, 'gpt-live')).status).toBe(200);

    // Only the fields sent change; new models apply at once and the key is kept.
    const edited = await gw.adminJson<ChannelView>('PATCH', '/channels/live', { models: ['gpt-live-2'] });
    expect(edited).toMatchObject({ models: ['gpt-live-2'], keys: ['liv…3456'], enabled: true });
    expect((await gw.chat(gw.key, 'gpt-live-2')).status).toBe(200);
    expect(fake.requests.at(-1)?.headers.authorization).toBe(`Bearer ${upstreamKey}`);
    expect((await gw.chat(gw.key, 'gpt-live')).status).toBe(404);

    expect(await gw.adminJson('DELETE', '/channels/live')).toEqual({ id: 'live', deleted: true });
    expect((await gw.chat(gw.key, 'gpt-live-2')).status).toBe(404);
    expect((await gw.admin('GET', '/channels/live')).status).toBe(404);
  });

  // A client that reads a channel, changes one thing and sends the fields back as it read them
  // sent its keys masked: the masks were stored as the upstream keys.
  it('keeps the stored keys that an edit sends back masked, as a GET showed them', async () => {
    const keys = ['echo-upstream-key-aaaa1111', 'echo-upstream-key-bbbb2222'];
    await gw.adminJson('POST', '/channels', {
      name: 'echo',
      provider: 'openai-compatible',
      base_url: fake.baseUrl,
      keys,
      models: ['gpt-echo'],
      headers: { 'x-api-key': 'echo-header-secret-9999' },
    });
    const read = await gw.adminJson<ChannelView & { headers: Record<string, string> }>(
      'GET',
      '/channels/echo',
    );
    expect(read.keys).toEqual(['ech…1111', 'ech…2222']);
    const edited = await gw.adminJson<ChannelView>('PATCH', '/channels/echo', {
      keys: [...read.keys].reverse(),
      models: ['gpt-echo', 'gpt-echo-2'],
    });
    expect(edited.keys).toEqual(['ech…2222', 'ech…1111']);
    for (let i = 0; i < 4; i++) expect((await gw.chat(gw.key, 'gpt-echo-2')).status).toBe(200);
    // Whichever key each request went out with, it was a stored key, never its mask.
    for (const request of fake.requests.slice(-4)) {
      expect(keys.map((k) => `Bearer ${k}`)).toContain(request.headers.authorization);
    }

    // A masked key no stored one has is refused, naming it: it cannot be an upstream key.
    const refused = await gw.admin('PATCH', '/channels/echo', { keys: ['ech…1111', 'sk-…zzzz'] });
    expect(refused.status).toBe(400);
    expect(await errorOf(refused)).toMatchObject({ code: 'invalid_request', param: 'keys[1]' });
    // Headers are replaced whole: a secret one sent back masked is refused, saying so.
    const header = await gw.admin('PATCH', '/channels/echo', { headers: read.headers });
    expect(header.status).toBe(400);
    const error = await errorOf(header);
    expect(error).toMatchObject({ param: 'headers.x-api-key' });
    expect(error.message).toContain('masked');
    expect(await gw.adminJson('DELETE', '/channels/echo')).toEqual({ id: 'echo', deleted: true });
  });

  it("sets a base URL back to the provider's default with null, and refuses it where there is none", async () => {
    await gw.adminJson('POST', '/channels', {
      name: 'proxied-openai',
      provider: 'openai',
      base_url: 'http://127.0.0.1:9/v1',
      keys: ['sk-proxied-openai-0001'],
      models: ['gpt-proxied'],
    });
    const reset = await gw.adminJson<ChannelView>('PATCH', '/channels/proxied-openai', { base_url: null });
    expect(reset.base_url).toBeNull();
    // An OpenAI-compatible channel has no default to go back to.
    await gw.adminJson('POST', '/channels', {
      name: 'no-default',
      provider: 'openai-compatible',
      base_url: fake.baseUrl,
      models: ['gpt-nd'],
    });
    const noDefault = await gw.admin('PATCH', '/channels/no-default', { base_url: null });
    expect(noDefault.status).toBe(400);
    expect((await gw.adminJson<ChannelView>('GET', '/channels/no-default')).base_url).toBe(fake.baseUrl);
    await gw.adminJson('DELETE', '/channels/proxied-openai');
    await gw.adminJson('DELETE', '/channels/no-default');
  });

  it('refuses edits and removal of file channels with 409, but lets them be disabled', async () => {
    for (const [method, body] of [
      ['PATCH', { models: ['x'] }],
      ['PATCH', { enabled: false, weight: 2 }],
      ['DELETE', undefined],
    ] as const) {
      const res = await gw.admin(method, '/channels/from-file', body);
      expect(res.status).toBe(409);
      expect((await errorOf(res)).code).toBe('channel_file_managed');
    }
    expect((await gw.chat(gw.key, 'gpt-file')).status).toBe(200);
    await gw.adminJson('PATCH', '/channels/from-file', { enabled: false });
    expect((await gw.chat(gw.key, 'gpt-file')).status).toBe(404);
    await gw.adminJson('PATCH', '/channels/from-file', { enabled: true });
    expect((await gw.chat(gw.key, 'gpt-file')).status).toBe(200);
  });

  it('validates new channels: 400 for bad fields, 409 for a taken name', async () => {
    const cases: Record<string, unknown>[] = [
      { name: 'bad name!', provider: 'openai-compatible', base_url: fake.baseUrl },
      { name: 'x1', provider: 'no-such-provider', base_url: fake.baseUrl },
      { name: 'x2', provider: 'openai-compatible' },
      { name: 'x3', provider: 'openai' },
      { name: 'x4', provider: 'openai-compatible', base_url: 'not a url' },
      { name: 'x5', provider: 'openai-compatible', base_url: fake.baseUrl, weight: -1 },
    ];
    for (const body of cases) {
      const res = await gw.admin('POST', '/channels', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect((await errorOf(res)).code).toBe('invalid_request');
    }
    const taken = await gw.admin('POST', '/channels', {
      name: 'from-file',
      provider: 'openai-compatible',
      base_url: fake.baseUrl,
    });
    expect(taken.status).toBe(409);
    const rename = await gw.admin('PATCH', '/channels/from-file', { name: 'other' });
    expect(rename.status).toBe(400);
  });

  it('refuses prices on a channel made or edited here: only the config file prices a channel', async () => {
    const fields = { provider: 'openai-compatible', base_url: fake.baseUrl, keys: ['priced-key-0123456789'] };
    const prices = { 'gpt-priced': { input: 1, output: 2 } };
    const created = await gw.admin('POST', '/channels', { name: 'priced', ...fields, prices });
    expect(created.status).toBe(400);
    const error = await errorOf(created);
    expect([error.code, error.param]).toEqual(['invalid_request', 'prices']);
    expect(error.message).toContain('config file');
    expect((await gw.admin('GET', '/channels/priced')).status).toBe(404);

    await gw.adminJson('POST', '/channels', { name: 'priced', ...fields });
    const patched = await gw.admin('PATCH', '/channels/priced', { prices, weight: 3 });
    expect(patched.status).toBe(400);
    expect((await errorOf(patched)).param).toBe('prices');
    expect((await gw.adminJson<ChannelView & { weight: number }>('GET', '/channels/priced')).weight).toBe(1);
    await gw.adminJson('DELETE', '/channels/priced');
  });

  it('shows affinity and api_version, so their changes are seen and audited', async () => {
    const made = await gw.adminJson<Record<string, unknown>>('POST', '/channels', {
      name: 'pinned',
      provider: 'openai-compatible',
      base_url: fake.baseUrl,
      keys: ['pinned-key-0123456789'],
      affinity: true,
      api_version: '2024-06-01',
    });
    expect(made).toMatchObject({ affinity: true, api_version: '2024-06-01' });
    const edited = await gw.adminJson('PATCH', '/channels/pinned', { affinity: false, api_version: null });
    expect(edited).toMatchObject({ affinity: false, api_version: null });
    const audit = await gw.adminJson<{ data: { action: string; changes: unknown }[] }>(
      'GET',
      '/audit?object_type=channel&object_id=pinned&limit=1',
    );
    expect(audit.data[0]).toMatchObject({
      action: 'update',
      changes: {
        affinity: { before: true, after: false },
        api_version: { before: '2024-06-01', after: null },
      },
    });
    await gw.adminJson('DELETE', '/channels/pinned');
  });

  it('tests a channel with one tiny request and reports status and latency', async () => {
    fake.requests.length = 0;
    const ok = await gw.adminJson<Record<string, unknown>>('POST', '/channels/from-file/test', {}, 200);
    expect(ok).toMatchObject({ channel: 'from-file', model: 'gpt-file', ok: true, status: 200, error: null });
    expect(typeof ok.latency_ms).toBe('number');
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]?.json).toMatchObject({ model: 'gpt-file', max_tokens: 1 });
    expect(fake.requests[0]?.headers.authorization).toBe(`Bearer ${FILE_KEY}`);

    fake.enqueue({ kind: 'status', status: 500, body: { error: { message: 'boom' } } });
    const failed = await gw.adminJson<Record<string, unknown>>(
      'POST',
      '/channels/from-file/test',
      { model: 'gpt-other' },
      200,
    );
    expect(failed).toMatchObject({ ok: false, status: 500, model: 'gpt-other' });
    expect((await gw.admin('POST', '/channels/none/test', {})).status).toBe(404);
  });

  it('tests each upstream key of a channel on its own', async () => {
    await gw.adminJson('POST', '/channels', {
      name: 'two-keys',
      provider: 'openai-compatible',
      base_url: fake.baseUrl,
      keys: ['sk-first-key-aaaa1111', 'sk-second-key-bbbb2222'],
      models: ['gpt-two'],
    });
    fake.onKey('sk-second-key-bbbb2222', {
      kind: 'status',
      status: 401,
      body: { error: { message: 'bad key' } },
    });
    const first = await gw.adminJson<Record<string, unknown>>('POST', '/channels/two-keys/test', {}, 200);
    expect(first).toMatchObject({ ok: true, key_index: 0, key: 'sk-…1111' });
    const second = await gw.adminJson<Record<string, unknown>>(
      'POST',
      '/channels/two-keys/test',
      { key_index: 1 },
      200,
    );
    expect(second).toMatchObject({ ok: false, status: 401, key_index: 1, key: 'sk-…2222' });
    expect(fake.requests.at(-1)?.headers.authorization).toBe('Bearer sk-second-key-bbbb2222');
    expect(JSON.stringify(second)).not.toContain('sk-second-key-bbbb2222');
    const missing = await gw.admin('POST', '/channels/two-keys/test', { key_index: 2 });
    expect(missing.status).toBe(400);
    expect((await errorOf(missing)).param).toBe('key_index');
    await gw.adminJson('DELETE', '/channels/two-keys');
  });
});
