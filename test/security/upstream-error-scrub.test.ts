import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';
import { postJson, waitFor } from '../support/http.js';
import { channel, startTestGateway, type TestGateway } from '../support/start-gateway.js';

// Upstreams that quote the key they were sent ("Incorrect API key provided: sk-…") must not
// hand that key to the gateway's client, whatever the route, format or stream mode.
const OPENAI_KEY = 'sk-proj-UpstreamCanary0123456789abcdefXYZ';
const ANTHROPIC_KEY = 'sk-ant-api03-UpstreamCanary0123456789abcdefXYZ';
const STRANGER_KEY = 'AIzaSyStrangerKey0123456789abcdefghijkl';

let fake: FakeUpstream;
let gw: TestGateway;

beforeAll(async () => {
  fake = await startFakeUpstream();
});
// A fresh gateway per test: a 401 leaves the key marked as rejected, which would skip it after.
beforeEach(async () => {
  fake.reset();
  gw = await startTestGateway({
    channels: [
      channel({ name: 'oa', base_url: fake.baseUrl, keys: [OPENAI_KEY], models: ['gpt-fake'] }),
      channel({
        name: 'an',
        provider: 'anthropic',
        base_url: `${fake.url}/v1`,
        keys: [ANTHROPIC_KEY],
        models: ['claude-fake'],
      }),
    ],
  });
});
afterEach(async () => {
  await gw?.close();
});
afterAll(async () => {
  await fake?.close();
});

const secrets = () => [OPENAI_KEY, ANTHROPIC_KEY, STRANGER_KEY, gw.key];

function expectNoSecret(text: string): void {
  for (const secret of secrets()) expect(text).not.toContain(secret);
  // A secret's tail is what the masked form keeps; the middle never survives.
  for (const secret of secrets()) expect(text).not.toContain(secret.slice(8, -5));
}

const echo = (key: string) =>
  `Incorrect API key provided: ${key}. Also seen: Bearer ${gw.key}, ${STRANGER_KEY}`;

const openAiError = (key: string) => ({
  error: { message: echo(key), type: 'invalid_request_error', code: 'invalid_api_key', param: null },
});
const anthropicError = (key: string) => ({
  type: 'error',
  error: { type: 'invalid_request_error', message: echo(key) },
});

const routes = [
  { path: '/v1/chat/completions', front: 'openai' },
  { path: '/v1/messages', front: 'anthropic' },
] as const;
const channels = [
  { model: 'gpt-fake', key: OPENAI_KEY, body: openAiError, event: openAiErrorEvent },
  { model: 'claude-fake', key: ANTHROPIC_KEY, body: anthropicError, event: anthropicErrorEvent },
] as const;

function request(model: string, stream: boolean) {
  return { model, max_tokens: 32, messages: [{ role: 'user', content: 'hi' }], stream };
}

function openAiErrorEvent(key: string): string {
  const chunk = { id: 'c1', object: 'chat.completion.chunk', created: 0, model: 'gpt-fake' };
  const first = { ...chunk, choices: [{ index: 0, delta: { role: 'assistant', content: 'Hel' } }] };
  return `data: ${JSON.stringify(first)}\n\ndata: ${JSON.stringify(openAiError(key))}\n\n`;
}

function anthropicErrorEvent(key: string): string {
  const start = {
    type: 'message_start',
    message: {
      id: 'm1',
      type: 'message',
      role: 'assistant',
      model: 'claude-fake',
      content: [],
      stop_reason: null,
      usage: { input_tokens: 3, output_tokens: 0 },
    },
  };
  return [
    `event: message_start\ndata: ${JSON.stringify(start)}\n\n`,
    `event: error\ndata: ${JSON.stringify(anthropicError(key))}\n\n`,
  ].join('');
}

describe('an upstream error that echoes a key', () => {
  for (const route of routes) {
    for (const ch of channels) {
      for (const status of [400, 401]) {
        it(`is scrubbed from a ${status} body (${ch.model} via ${route.path})`, async () => {
          fake.enqueue({ kind: 'status', status, body: ch.body(ch.key) });
          const res = await postJson(gw, route.path, request(ch.model, false), {
            'x-request-id': `scrub-${route.front}-${ch.model}-${status}`,
          });
          // A 401 says the operator's key is bad: the gateway answers for itself (502).
          expect(res.status).toBe(status === 401 ? 502 : 400);
          expect(fake.requests).toHaveLength(1);
          const text = await res.text();
          expectNoSecret(text);
          // Still the JSON error the client's SDK parses.
          expect(JSON.parse(text)).toHaveProperty('error');
          const record = await waitFor(
            () => gw.usage.find((r) => r.requestId === `scrub-${route.front}-${ch.model}-${status}`),
            'usage record',
          );
          expectNoSecret(JSON.stringify(record));
        });
      }

      it(`is scrubbed from an SSE error event (${ch.model} via ${route.path}, stream)`, async () => {
        fake.enqueue({ kind: 'raw-sse', body: ch.event(ch.key) });
        const res = await postJson(gw, route.path, request(ch.model, true));
        expect(res.status).toBe(200);
        expect(fake.requests).toHaveLength(1);
        const text = await res.text();
        expect(text).toContain('rror');
        expectNoSecret(text);
      });
    }
  }

  // Some upstreams answer an error with HTTP 200 and the error in the body. Relayed as the
  // answer it claims to be, its quoted key reached the client as it was. It is now a failed
  // attempt like the status it names: OpenAI's `invalid_api_key` a rejected key (a 502 once no
  // other key is left), Anthropic's `invalid_request_error` a 400 relayed to the client.
  for (const route of routes) {
    const ch = channels.find((c) =>
      route.front === 'openai' ? c.model === 'gpt-fake' : c.model === 'claude-fake',
    );
    if (!ch) continue;
    it(`is scrubbed from a 200 body that carries an error (${ch.model} via ${route.path})`, async () => {
      fake.enqueue({ kind: 'status', status: 200, body: ch.body(ch.key) });
      const res = await postJson(gw, route.path, request(ch.model, false));
      expect(res.status).toBe(ch.model === 'gpt-fake' ? 502 : 400);
      const text = await res.text();
      expectNoSecret(text);
      expect(JSON.parse(text)).toHaveProperty('error');
      if (res.status === 400) expect(text).toContain(ch.key.slice(-4));
    });
  }

  it('keeps the relayed 400 readable: the masked key and the rest of the message stay', async () => {
    fake.enqueue({ kind: 'status', status: 400, body: openAiError(OPENAI_KEY) });
    const res = await postJson(gw, '/v1/chat/completions', request('gpt-fake', false));
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { message: string; code: string } };
    expect(body.error.code).toBe('invalid_api_key');
    expect(body.error.message).toContain('Incorrect API key provided: sk-…');
    expect(body.error.message).toContain(OPENAI_KEY.slice(-4));
  });
});

describe("an upstream error that echoes a channel's secret header", () => {
  const HEADER_SECRET = 'portkeyQ7x9Zt3LmN4pR8sV2wY6aB1cD5eF';

  it('is scrubbed from a relayed 400 and from the usage record', async () => {
    const headerGw = await startTestGateway({
      channels: [
        channel({
          name: 'pk',
          base_url: fake.baseUrl,
          keys: ['sk-upstream-key-000000000001'],
          models: ['pk-model'],
          headers: { 'x-portkey-api-key': HEADER_SECRET },
        }),
      ],
    });
    try {
      fake.enqueue({
        kind: 'status',
        status: 400,
        body: { error: { message: `unknown virtual key ${HEADER_SECRET}`, type: 'invalid_request_error' } },
      });
      const res = await postJson(headerGw, '/v1/chat/completions', request('pk-model', false), {
        'x-request-id': 'scrub-header',
      });
      expect(res.status).toBe(400);
      const text = await res.text();
      expect(text).toContain('unknown virtual key');
      expect(text).not.toContain(HEADER_SECRET);
      const record = await waitFor(
        () => headerGw.usage.find((r) => r.requestId === 'scrub-header'),
        'usage record',
      );
      expect(JSON.stringify(record)).not.toContain(HEADER_SECRET);
    } finally {
      await headerGw.close();
    }
  });
});
