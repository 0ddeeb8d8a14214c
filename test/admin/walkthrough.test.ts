import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';
import { ADMIN_TOKEN, type AdminGatewayUnderTest, startAdminGatewayUnderTest } from './admin-helpers.js';

/**
 * The "new operator" walkthrough of docs/admin-api.md, step by step, on one running gateway:
 * no restart between any two steps.
 */
let fake: FakeUpstream;
let gw: AdminGatewayUnderTest;

beforeAll(async () => {
  fake = await startFakeUpstream();
  gw = await startAdminGatewayUnderTest();
  // Starting the Worker (GATEWAY_RUNTIME=workers) bundles it and starts workerd: seconds.
}, 120_000);
afterAll(async () => {
  await gw?.close();
  await fake?.close();
});

async function admin<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${gw.url}/admin/api${path}`, {
    method,
    headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  expect(res.ok, `${method} ${path}: ${res.status}`).toBe(true);
  return (await res.json()) as T;
}

describe('a new operator, without a restart', () => {
  it('creates a user and a scoped key, adds a channel, calls it with the openai client, rotates, and sees the old key refused', async () => {
    // 1. A user for the team.
    const user = await admin<{ id: string }>('POST', '/users', {
      name: 'team-a',
      email: 'lead@team-a.example',
    });

    // 2. A key for that user, limited to the models of one family.
    const key = await admin<{ id: string; key: string }>('POST', '/keys', {
      user_id: user.id,
      name: 'team-a-laptop',
      models: ['fake-*'],
    });

    // 3. A channel pointing at the upstream (here the scripted fake).
    await admin('POST', '/channels', {
      name: 'fake-upstream',
      provider: 'openai-compatible',
      base_url: fake.baseUrl,
      keys: ['sk-upstream-walkthrough-0001'],
      models: ['fake-chat'],
    });
    const test = await admin<{ ok: boolean; status: number }>('POST', '/channels/fake-upstream/test', {});
    expect(test).toMatchObject({ ok: true, status: 200 });

    // 4. The team calls it with the official openai client.
    const client = new OpenAI({ apiKey: key.key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const answer = await client.chat.completions.create({
      model: 'fake-chat',
      messages: [{ role: 'user', content: 'Hello' }],
    });
    expect(answer.choices[0]?.message.content).toBe('fake answer from fake-chat');
    // The scope holds: a model outside fake-* is refused.
    await expect(
      client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }),
    ).rejects.toMatchObject({ status: 403, code: 'model_not_allowed' });

    // 5. Rotate: the new key works at once, the old one is refused.
    const rotated = await admin<{ key: string }>('POST', `/keys/${key.id}/rotate`);
    const fresh = new OpenAI({ apiKey: rotated.key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const again = await fresh.chat.completions.create({
      model: 'fake-chat',
      messages: [{ role: 'user', content: 'Hi' }],
    });
    expect(again.choices[0]?.message.content).toBe('fake answer from fake-chat');
    await expect(
      client.chat.completions.create({ model: 'fake-chat', messages: [{ role: 'user', content: 'Hi' }] }),
    ).rejects.toMatchObject({ status: 401, code: 'invalid_api_key' });
  });
});
