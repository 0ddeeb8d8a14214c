import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';
import { errorOf } from '../support/http.js';
import { channel, type TestGateway } from '../support/start-gateway.js';
import { byKey, chat, postJson, startGateway } from './support.js';

// Health judges upstreams only: a request the gateway cannot translate, or one the upstream
// refuses as malformed, is the client's mistake and must not move anyone else off the primary.

let fake: FakeUpstream;
let gw: TestGateway;

beforeAll(async () => {
  fake = await startFakeUpstream();
  gw = await startGateway({
    channels: [
      channel({ name: 'primary', base_url: fake.baseUrl, keys: ['primary-key'], models: ['m'], priority: 0 }),
      channel({
        name: 'fallback',
        base_url: fake.baseUrl,
        keys: ['fallback-key'],
        models: ['m'],
        priority: 1,
      }),
      channel({
        name: 'claude',
        provider: 'anthropic',
        base_url: `${fake.url}/v1`,
        keys: ['claude-key'],
        models: ['claude-m'],
      }),
    ],
    routing: { breaker: { failure_threshold: 3 } },
  });
});
afterAll(async () => {
  await gw?.close();
  await fake?.close();
});
beforeEach(() => fake.reset());

const documentMessage = {
  model: 'm',
  max_tokens: 64,
  messages: [
    {
      role: 'user',
      content: [
        { type: 'text', text: 'Summarise this' },
        { type: 'document', source: { type: 'url', url: 'https://example.invalid/report.pdf' } },
      ],
    },
  ],
};

describe('client mistakes do not change health', () => {
  it('answers an untranslatable block with 400 and no upstream attempt; the primary keeps serving', async () => {
    const before = gw.usage.length;
    for (let i = 0; i < 6; i++) {
      const res = await postJson(gw, '/v1/messages', documentMessage);
      expect(res.status).toBe(400);
      // The Anthropic front door answers in the Anthropic error shape; the message names the block.
      const body = (await res.json()) as { type: string; error: { type: string; message: string } };
      expect(body.type).toBe('error');
      expect(body.error.type).toBe('invalid_request_error');
      expect(body.error.message).toContain('messages[0].content[1]: content block type "document"');
    }
    expect(fake.requests).toHaveLength(0);
    const bad = gw.usage.slice(before);
    expect(bad.map((u) => u.status)).toEqual([400, 400, 400, 400, 400, 400]);
    expect(bad.every((u) => u.errorCode === 'untranslatable_request')).toBe(true);
    expect(bad.every((u) => u.attempts.length === 0)).toBe(true);

    const ok = await chat(gw);
    expect(ok.status).toBe(200);
    expect(byKey(fake.requests, 'primary-key')).toHaveLength(1);
    expect(byKey(fake.requests, 'fallback-key')).toHaveLength(0);
    expect((await gw.node.gateway.health.snapshot()).entries).toEqual([]);
  });

  it('answers an untranslatable OpenAI content part with 400 naming it in param, without an attempt', async () => {
    const res = await postJson(gw, '/v1/chat/completions', {
      model: 'claude-m',
      messages: [
        { role: 'user', content: [{ type: 'input_audio', input_audio: { data: 'AA==', format: 'wav' } }] },
      ],
    });
    expect(res.status).toBe(400);
    const error = await errorOf(res);
    expect(error).toMatchObject({
      type: 'invalid_request_error',
      code: 'untranslatable_request',
      param: 'messages[0].content[0]',
    });
    expect(error.message).toContain('"input_audio"');
    expect(fake.requests).toHaveLength(0);
    expect((await gw.node.gateway.health.snapshot()).entries).toEqual([]);
  });

  it('a request a channel cannot build for other reasons is a 502 naming it, with no attempt and no health change', async () => {
    // The Anthropic channel serves chat only: embeddings for its model cannot be built at all.
    const res = await postJson(gw, '/v1/embeddings', { model: 'claude-m', input: 'hello' });
    expect(res.status).toBe(502);
    const error = await errorOf(res);
    expect(error.code).toBe('upstream_failed');
    expect(error.message).toContain('claude: request not built');
    expect(fake.requests).toHaveLength(0);
    expect((await gw.node.gateway.health.snapshot()).entries).toEqual([]);
  });

  it.each([400, 413, 422])(
    'relays an upstream %i for a bad request without opening the breaker',
    async (status) => {
      for (let i = 0; i < 5; i++) {
        fake.enqueue({
          kind: 'status',
          status,
          body: { error: { message: 'bad request', type: 'invalid_request_error' } },
        });
        const res = await chat(gw);
        expect(res.status).toBe(status);
      }
      expect(byKey(fake.requests, 'primary-key')).toHaveLength(5);
      const ok = await chat(gw);
      expect(ok.status).toBe(200);
      expect(byKey(fake.requests, 'primary-key')).toHaveLength(6);
      expect(byKey(fake.requests, 'fallback-key')).toHaveLength(0);
      expect((await gw.node.gateway.health.snapshot()).entries).toEqual([]);
    },
  );
});
