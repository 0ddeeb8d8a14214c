import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AdminGateway, type CreatedKey, startAdminGateway } from '../admin/admin-helpers.js';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';
import { errorOf } from '../support/http.js';
import { anthropicChannel, channel } from '../support/start-gateway.js';

/**
 * Tenants sharing one upstream account: through the pass-through, any key without a model list
 * reaches the account's files, batches and stored completions with the channel's key, so one
 * tenant could list, read and delete another's. `routing.deny_account_resources: true` refuses
 * those calls for every key (as model-restricted keys always are), before anything is sent.
 */
let fake: FakeUpstream;
let guarded: AdminGateway;
let open: AdminGateway;
let byok: CreatedKey;

const channels = (url: string) => [
  channel({ name: 'shared', base_url: url, keys: ['up-shared-account'], models: ['gpt-x', 'embed-x'] }),
  anthropicChannel(url, ['claude-x']),
];

beforeAll(async () => {
  fake = await startFakeUpstream();
  guarded = await startAdminGateway({
    channels: channels(fake.baseUrl),
    routing: { deny_account_resources: true },
  });
  open = await startAdminGateway({ channels: channels(fake.baseUrl) });
  const user = await guarded.adminJson<{ id: string }>('POST', '/users', { name: 'own-account' });
  byok = await guarded.adminJson<CreatedKey>('POST', '/keys', {
    name: 'own-account-key',
    user_id: user.id,
    byok: { provider: 'openai-compatible', key: 'up-tenant-own-account' },
  });
});
afterAll(async () => {
  await guarded?.close();
  await open?.close();
  await fake?.close();
});

const send = (gw: { url: string }, key: string, method: string, path: string, body?: unknown) =>
  fetch(`${gw.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });

const CALLS: [string, string, unknown][] = [
  ['GET', '/v1/files', undefined],
  ['GET', '/v1/files/file-of-another-tenant/content', undefined],
  ['POST', '/v1/files', { purpose: 'batch' }],
  ['DELETE', '/v1/files/file-of-another-tenant', undefined],
  ['GET', '/v1/batches', undefined],
  ['POST', '/v1/batches', { input_file_id: 'file-1', endpoint: '/v1/chat/completions' }],
  ['POST', '/v1/batches/batch-1/cancel', undefined],
  ['DELETE', '/v1/batches/batch-1', undefined],
  ['GET', '/v1/chat/completions', undefined],
  ['DELETE', '/v1/chat/completions/chatcmpl-of-another-tenant', undefined],
  ['GET', '/api/v1/Files', undefined],
  ['GET', '/v1/%66iles', undefined],
];

describe('routing.deny_account_resources: true', () => {
  it.each(CALLS)(
    '%s %s: 403 model_not_allowed for a key without a model list, nothing sent upstream',
    async (method, path, body) => {
      fake.reset();
      const res = await send(guarded, guarded.key, method, path, body);
      expect(res.status).toBe(403);
      const error = await errorOf(res);
      expect(error.code).toBe('model_not_allowed');
      expect(error.type).toBe('permission_error');
      expect(error.param).toBe('path');
      expect(error.message).toMatch(/account/);
      expect(fake.requests).toHaveLength(0);
    },
  );

  it('model calls still work: chat completions, embeddings, a pass-through POST naming a model', async () => {
    fake.reset();
    const chat = await send(guarded, guarded.key, 'POST', '/v1/chat/completions', {
      model: 'gpt-x',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(chat.status).toBe(200);
    const embeddings = await send(guarded, guarded.key, 'POST', '/v1/embeddings', {
      model: 'embed-x',
      input: 'hi',
    });
    expect(embeddings.status).toBe(200);
    const moderations = await send(guarded, guarded.key, 'POST', '/v1/moderations', {
      model: 'gpt-x',
      input: 'hi',
    });
    expect(moderations.status).toBe(200);
    expect(fake.requests).toHaveLength(3);
  });

  it("a bring-your-own-key key reaches its own account's files: no other tenant shares it", async () => {
    fake.reset();
    const res = await send(guarded, byok.key, 'GET', '/v1/files');
    expect(res.status).not.toBe(403);
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]?.headers.authorization).toBe('Bearer up-tenant-own-account');
  });
});

/**
 * Anthropic's Files API beta lets a `/v1/messages` call read a file by its id (a `file` document
 * or image source): a file on the shared Anthropic account, whoever uploaded it.
 */
describe('the anthropic-beta header on /v1/messages', () => {
  const messages = (gw: { url: string; key: string }, beta: string) =>
    fetch(`${gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': gw.key, 'content-type': 'application/json', 'anthropic-beta': beta },
      body: JSON.stringify({
        model: 'claude-x',
        max_tokens: 16,
        messages: [{ role: 'user', content: 'hi' }],
      }),
    });

  it.each([
    ['files-api-2025-04-14, interleaved-thinking-2025-05-14', 'interleaved-thinking-2025-05-14'],
    ['Files-API-2025-04-14', undefined],
    ['interleaved-thinking-2025-05-14', 'interleaved-thinking-2025-05-14'],
  ])('deny_account_resources: %j reaches the upstream as %j', async (sent, received) => {
    fake.reset();
    expect((await messages(guarded, sent)).status).toBe(200);
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]?.headers['anthropic-beta']).toBe(received);
  });

  it('unset: the Files API beta is forwarded as before', async () => {
    fake.reset();
    const sent = 'files-api-2025-04-14, interleaved-thinking-2025-05-14';
    expect((await messages(open, sent)).status).toBe(200);
    expect(fake.requests[0]?.headers['anthropic-beta']).toBe(sent);
  });
});

describe('routing.deny_account_resources unset (the default): relayed as before', () => {
  it.each(CALLS.filter(([, path]) => path.startsWith('/v1/')))(
    '%s %s reaches the upstream with the channel key',
    async (method, path, body) => {
      fake.reset();
      const res = await send(open, open.key, method, path, body);
      expect(res.status).not.toBe(403);
      expect(fake.requests).toHaveLength(1);
      expect(fake.requests[0]?.headers.authorization).toBe('Bearer up-shared-account');
    },
  );
});
