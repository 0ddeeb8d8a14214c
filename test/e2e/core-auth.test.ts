import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClientKey } from '../../src/auth/key-service.js';
import { createGateway, type Gateway } from '../../src/gateway.js';
import { createProviderRegistry } from '../../src/providers/registry.js';
import { buildChannels, DEMO_CHANNEL_CONFIG } from '../../src/router/build-channels.js';
import { silentLogger } from '../../src/spec/logger.js';
import { createMemoryStorage } from '../../src/storage/memory/memory-storage.js';
import type { Storage } from '../../src/storage/ports.js';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';
import { errorOf } from '../support/http.js';
import { type GatewayUnderTest, startGateway } from '../support/start-any-gateway.js';
import { channel } from '../support/start-gateway.js';

let fake: FakeUpstream;
/** Runs on Node, or on the Worker with GATEWAY_RUNTIME=workers (test/support/start-any-gateway.ts). */
let gw: GatewayUnderTest;

beforeAll(async () => {
  fake = await startFakeUpstream();
  gw = await startGateway({
    channels: [channel({ name: 'fake', base_url: fake.baseUrl, keys: ['up-auth'], models: ['gpt-fake'] })],
  });
  // Starting the Worker (GATEWAY_RUNTIME=workers) bundles it and starts workerd: seconds.
}, 120_000);
afterAll(async () => {
  await gw?.close();
  await fake?.close();
});

const chatBody = JSON.stringify({ model: 'gpt-fake', messages: [{ role: 'user', content: 'hi' }] });
const chat = (headers: Record<string, string>) =>
  fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: chatBody,
  });

/** A revoked key is refused as an authentication error (a specific code may say why). */
function expectRevoked(error: { type: string; code: string }): void {
  expect(error.type).toBe('authentication_error');
  expect(['invalid_api_key', 'key_revoked']).toContain(error.code);
}

describe('client key headers', () => {
  it('accepts Bearer, x-api-key and X-API-Key with identical results', async () => {
    const before = fake.requests.length;
    const answers = [];
    for (const headers of [
      { authorization: `Bearer ${gw.key}` } as Record<string, string>,
      { 'x-api-key': gw.key },
      { 'X-API-Key': gw.key },
    ]) {
      const res = await chat(headers);
      expect(res.status).toBe(200);
      answers.push(await res.json());
    }
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[2]).toEqual(answers[0]);
    const upstream = fake.requests.slice(before);
    expect(upstream.map((r) => r.body)).toEqual([chatBody, chatBody, chatBody]);
    expect(upstream.every((r) => r.headers.authorization === 'Bearer up-auth')).toBe(true);
    expect(upstream.every((r) => r.headers['x-api-key'] === undefined)).toBe(true);
  });

  it('works as the openai client sends it', async () => {
    const client = new OpenAI({ apiKey: gw.key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const res = await client.chat.completions.create({
      model: 'gpt-fake',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(res.choices[0]?.message.content).toBe('fake answer from gpt-fake');
  });

  it('refuses a request without a key: 401 missing_api_key, nothing sent upstream', async () => {
    const before = fake.requests.length;
    const res = await chat({});
    expect(res.status).toBe(401);
    const error = await errorOf(res);
    expect(error).toMatchObject({ code: 'missing_api_key', type: 'authentication_error' });
    expect(fake.requests.length).toBe(before);
  });

  it('refuses an unknown key: 401 invalid_api_key, for every header form', async () => {
    for (const headers of [
      { authorization: 'Bearer sk-not-a-real-key' } as Record<string, string>,
      { 'x-api-key': 'sk-not-a-real-key' },
      { 'X-API-Key': 'sk-not-a-real-key' },
    ]) {
      const res = await chat(headers);
      expect(res.status).toBe(401);
      const error = await errorOf(res);
      expect(error.code).toBe('invalid_api_key');
      expect(error.message).not.toContain('sk-not-a-real-key');
    }
  });

  it('raises the openai client AuthenticationError for a bad key', async () => {
    const client = new OpenAI({ apiKey: 'sk-wrong', baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const failure = client.models.list();
    await expect(failure).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    await expect(failure).rejects.toMatchObject({ status: 401, code: 'invalid_api_key' });
  });

  it('refuses a key revoked through the admin API', async () => {
    const secret = await gw.createKey({ name: 'soon-revoked' });
    expect((await gw.admin('DELETE', '/keys/soon-revoked')).status).toBe(200);
    // Never looked up before revocation, so no cache entry can still vouch for it.
    const res = await chat({ authorization: `Bearer ${secret}` });
    expect(res.status).toBe(401);
    expectRevoked(await errorOf(res));
  });
});

describe('revocation of a key in use', () => {
  let storage: Storage;
  let gateway: Gateway;
  let clock = 1_000_000;

  beforeAll(() => {
    storage = createMemoryStorage();
    const providers = createProviderRegistry({ name: 'test' });
    const channels = buildChannels([DEMO_CHANNEL_CONFIG], providers);
    gateway = createGateway({
      storage,
      providers,
      channels: () => channels,
      fetch: () => Promise.reject(new Error('no network in this test')),
      logger: silentLogger,
      usageSink: async () => {},
      now: () => clock,
      options: {
        version: 'test',
        bodyLimitBytes: 1024 * 1024,
        corsOrigins: ['*'],
        maxAttempts: 4,
        keyCacheTtlMs: 5_000,
      },
    });
  });

  const ask = async (key: string) =>
    gateway.fetch(
      new Request('http://gateway.test/v1/chat/completions', {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'mock-1', messages: [{ role: 'user', content: 'hi' }] }),
      }),
    );

  it('stops working once the key cache entry expires', async () => {
    const { secret } = await createClientKey(storage.keys, { name: 'in-use' });
    expect((await ask(secret)).status).toBe(200);
    expect(await storage.keys.revoke('in-use', clock)).toBe(1);
    clock += 5_001;
    const res = await ask(secret);
    expect(res.status).toBe(401);
    expectRevoked(await errorOf(res));
  });

  it('keeps other keys working', async () => {
    const { secret } = await createClientKey(storage.keys, { name: 'other' });
    expect((await ask(secret)).status).toBe(200);
    clock += 5_001;
    expect((await ask(secret)).status).toBe(200);
  });
});
