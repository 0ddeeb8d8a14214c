import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';
import { postJson, waitFor } from '../support/http.js';
import { type GatewayUnderTest, startGateway } from '../support/start-any-gateway.js';
import { anthropicChannel, channel, geminiChannel } from '../support/start-gateway.js';

/**
 * `x-upstream-request-id`: the id the answering upstream gave its answer (its `x-request-id`, or
 * Anthropic's `request-id`), for the provider's support; the gateway's own `x-request-id` stays.
 */
const HEADER = 'x-upstream-request-id';

let fake: FakeUpstream;
/** Runs on Node, or on the Worker with GATEWAY_RUNTIME=workers (test/support/start-any-gateway.ts). */
let gw: GatewayUnderTest;

beforeAll(async () => {
  fake = await startFakeUpstream();
  const base_url = fake.baseUrl;
  gw = await startGateway({
    routing: { max_attempts: 2, backoff: { base_ms: 1, max_ms: 5 } },
    cache: { enabled: true, ttl_seconds: 600 },
    channels: [
      channel({ name: 'plain', base_url, keys: ['plain-key'], models: ['plain-model', 'embed-model'] }),
      channel({ name: 'native', provider: 'openai', base_url, keys: ['oa-key'], models: ['gpt-native'] }),
      anthropicChannel(fake.url, ['claude-native']),
      geminiChannel(fake.url, ['gemini-2.5-flash']),
      channel({ name: 'fo-a', base_url, keys: ['fo-a-key'], models: ['fo-model'], priority: 0 }),
      channel({ name: 'fo-b', base_url, keys: ['fo-b-key'], models: ['fo-model'], priority: 1 }),
      channel({ name: 'dead', base_url, keys: ['dead-key'], models: ['dead-model'] }),
      channel({ name: 'log-a', base_url, keys: ['log-a-key'], models: ['log-model'], priority: 0 }),
      channel({ name: 'log-b', base_url, keys: ['log-b-key'], models: ['log-model'], priority: 1 }),
    ],
  });
  // Starting the Worker (GATEWAY_RUNTIME=workers) bundles it and starts workerd: seconds.
}, 120_000);
afterAll(async () => {
  await gw?.close();
  await fake?.close();
});
beforeEach(() => fake.reset());

const ok = (id: Record<string, string>) => ({ kind: 'ok', headers: id }) as const;
const chat = (model: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
  postJson(
    gw,
    '/v1/chat/completions',
    { model, messages: [{ role: 'user', content: 'hi' }], ...extra },
    headers,
  );
const messages = (model: string, stream: boolean) =>
  postJson(
    gw,
    '/v1/messages',
    { model, max_tokens: 64, stream, messages: [{ role: 'user', content: 'hi' }] },
    { 'anthropic-version': '2023-06-01' },
  );

/** Each attempt of a request as the request log keeps it: channel, status, the upstream's id. */
const attemptsOf = async (res: Response) => {
  await res.text();
  const requestId = res.headers.get('x-request-id');
  if (!requestId) throw new Error('no x-request-id');
  const entry = await gw.logOf(requestId);
  return entry.attempts.map((a) => [a.channel, a.status, a.upstream_request_id]);
};

describe('an answer an upstream gave carries its request id', () => {
  it('a chat answer: the upstream x-request-id, exactly; the gateway keeps its own x-request-id', async () => {
    fake.enqueue(ok({ 'x-request-id': 'req_0123abcDEF-xyz' }));
    const res = await chat('plain-model', {}, { 'x-request-id': 'client-chosen-id' });
    expect(res.status).toBe(200);
    expect(res.headers.get(HEADER)).toBe('req_0123abcDEF-xyz');
    expect(res.headers.get('x-request-id')).toBe('client-chosen-id');
    await res.text();
  });

  it('a streamed chat answer carries it on the SSE response', async () => {
    fake.enqueue(ok({ 'x-request-id': 'req-stream-1' }));
    const res = await chat('plain-model', { stream: true });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    expect(res.headers.get(HEADER)).toBe('req-stream-1');
    expect(await res.text()).toContain('[DONE]');
  });

  it('prefers x-request-id when the upstream sends request-id as well', async () => {
    fake.enqueue(ok({ 'request-id': 'req-plain', 'x-request-id': 'req-x' }));
    const res = await chat('plain-model');
    expect(res.headers.get(HEADER)).toBe('req-x');
    await res.text();
  });

  it("Anthropic's request-id, on the Messages front door, whole and streamed", async () => {
    fake.enqueue(ok({ 'request-id': 'req_011CXanthropic' }), ok({ 'request-id': 'req_011CXstream' }));
    const whole = await messages('claude-native', false);
    expect(whole.status).toBe(200);
    expect(whole.headers.get(HEADER)).toBe('req_011CXanthropic');
    await whole.text();
    const streamed = await messages('claude-native', true);
    expect(streamed.status).toBe(200);
    expect(streamed.headers.get(HEADER)).toBe('req_011CXstream');
    expect(await streamed.text()).toContain('message_stop');
  });

  it('an answer translated between formats (Messages front door, OpenAI upstream), whole and streamed', async () => {
    fake.enqueue(ok({ 'x-request-id': 'req-translated' }), ok({ 'x-request-id': 'req-translated-sse' }));
    const whole = await messages('plain-model', false);
    expect(whole.status).toBe(200);
    expect(whole.headers.get(HEADER)).toBe('req-translated');
    await whole.text();
    const streamed = await messages('plain-model', true);
    expect(streamed.status).toBe(200);
    expect(streamed.headers.get(HEADER)).toBe('req-translated-sse');
    await streamed.text();
  });

  it('the Responses API, Gemini, embeddings and a pass-through path', async () => {
    fake.enqueue(
      ok({ 'x-request-id': 'req-responses' }),
      ok({ 'x-request-id': 'req-gemini' }),
      ok({ 'x-request-id': 'req-embeddings' }),
      ok({ 'x-request-id': 'req-passthrough' }),
    );
    const responses = await postJson(gw, '/v1/responses', { model: 'gpt-native', input: 'hi' });
    expect(responses.status).toBe(200);
    expect(responses.headers.get(HEADER)).toBe('req-responses');
    await responses.text();
    const gemini = await fetch(`${gw.url}/v1beta/models/gemini-2.5-flash:generateContent`, {
      method: 'POST',
      headers: { 'x-goog-api-key': gw.key, 'content-type': 'application/json' },
      body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }),
    });
    expect(gemini.status).toBe(200);
    expect(gemini.headers.get(HEADER)).toBe('req-gemini');
    await gemini.text();
    const embeddings = await postJson(gw, '/v1/embeddings', { model: 'embed-model', input: 'hi' });
    expect(embeddings.status).toBe(200);
    expect(embeddings.headers.get(HEADER)).toBe('req-embeddings');
    await embeddings.text();
    const images = await postJson(gw, '/v1/images/generations', { model: 'plain-model', prompt: 'a cat' });
    expect(images.status).toBe(200);
    expect(images.headers.get(HEADER)).toBe('req-passthrough');
    await images.text();
  });

  it('the simple /chat endpoint passes it on', async () => {
    fake.enqueue(ok({ 'x-request-id': 'req-simple-chat' }));
    const res = await fetch(`${gw.url}/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: gw.key, prompt: 'hi', model: 'plain-model' }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get(HEADER)).toBe('req-simple-chat');
    await res.text();
  });

  it('an upstream error relayed to the client carries the id of the upstream that gave it', async () => {
    fake.enqueue({
      kind: 'status',
      status: 400,
      headers: { 'x-request-id': 'req-bad-request' },
      body: { error: { message: 'bad input', type: 'invalid_request_error', code: null, param: null } },
    });
    const res = await chat('plain-model');
    expect(res.status).toBe(400);
    expect(res.headers.get(HEADER)).toBe('req-bad-request');
    await res.text();
  });
});

describe('failover: the id of the attempt whose answer the client got', () => {
  it('first channel 500 (id A), second 200 (id B): B', async () => {
    fake.enqueue(
      { kind: 'status', status: 500, headers: { 'x-request-id': 'req-A' } },
      ok({ 'x-request-id': 'req-B' }),
    );
    const res = await chat('fo-model');
    expect(res.status).toBe(200);
    expect(fake.requests.map((r) => r.headers.authorization)).toEqual(['Bearer fo-a-key', 'Bearer fo-b-key']);
    expect(res.headers.get(HEADER)).toBe('req-B');
    // The request log keeps each attempt's own id, the failed one's too.
    expect(await attemptsOf(res)).toEqual([
      ['fo-a', 500, 'req-A'],
      ['fo-b', 200, 'req-B'],
    ]);
  });

  it('a retried attempt that sent an id, then one that sent none: none', async () => {
    fake.enqueue({ kind: 'status', status: 500, headers: { 'x-request-id': 'req-A2' } }, { kind: 'ok' });
    const res = await chat('fo-model');
    expect(res.status).toBe(200);
    expect(fake.requests).toHaveLength(2);
    expect(res.headers.get(HEADER)).toBeNull();
    await res.text();
  });
});

describe('no header', () => {
  it('when the upstream sent no request id', async () => {
    const res = await chat('plain-model');
    expect(res.status).toBe(200);
    expect(res.headers.get(HEADER)).toBeNull();
    expect(res.headers.get('x-request-id')).toBeTruthy();
    await res.text();
  });

  it.each([
    ['a space', 'req 123'],
    ['a tab', 'req\t123'],
    ['a byte past ASCII', 'req-café'],
    ['129 characters', 'r'.repeat(129)],
    ['a list of two (a repeated header)', 'req-1, req-2'],
  ])('when its id holds %s', async (_what, id) => {
    fake.enqueue(ok({ 'x-request-id': id }));
    const res = await chat('plain-model');
    expect(res.status).toBe(200);
    expect(res.headers.get(HEADER)).toBeNull();
    await res.text();
  });

  it('but 128 printable characters pass', async () => {
    const id = `${'r'.repeat(120)}~!#$%&*+`;
    fake.enqueue(ok({ 'x-request-id': id }));
    const res = await chat('plain-model');
    expect(res.headers.get(HEADER)).toBe(id);
    await res.text();
  });

  it('when the gateway answered itself: a bad key, an unknown model', async () => {
    const badKey = await postJson({ url: gw.url, key: 'sk-not-a-key' }, '/v1/chat/completions', {
      model: 'plain-model',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(badKey.status).toBe(401);
    expect(badKey.headers.get(HEADER)).toBeNull();
    const unknown = await chat('no-such-model');
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get(HEADER)).toBeNull();
    expect(fake.requests).toHaveLength(0);
  });

  it('when every attempt failed and the gateway answers with its own error', async () => {
    fake.onKey('dead-key', { kind: 'status', status: 500, headers: { 'x-request-id': 'req-dead' } });
    const res = await chat('dead-model');
    expect(res.status).toBeGreaterThanOrEqual(500);
    expect(fake.requests.length).toBeGreaterThan(0);
    expect(res.headers.get(HEADER)).toBeNull();
    await res.text();
  });

  it('for a cache hit (no upstream answered it)', async () => {
    const body = { temperature: 0, messages: [{ role: 'user', content: 'cache me, upstream id' }] };
    fake.enqueue(ok({ 'x-request-id': 'req-cached' }));
    const first = await postJson(gw, '/v1/chat/completions', { model: 'plain-model', ...body });
    expect(first.headers.get('x-switchboard-cache')).toBe('miss');
    expect(first.headers.get(HEADER)).toBe('req-cached');
    await first.text();
    // The cache write is deferred (after the response): asked again until it is served from there.
    const hit = await waitFor(async () => {
      const res = await postJson(gw, '/v1/chat/completions', { model: 'plain-model', ...body });
      const text = await res.text();
      return res.headers.get('x-switchboard-cache') === 'hit' ? { res, text } : null;
    }, 'a cache hit');
    expect(hit.res.status).toBe(200);
    expect(hit.res.headers.get(HEADER)).toBeNull();
  });
});

describe("the request log keeps every attempt's upstream id", () => {
  it('every attempt failed: the client gets none, the log has each one (null where none was sent)', async () => {
    fake.enqueue(
      { kind: 'status', status: 500, headers: { 'request-id': 'req-log-dead' } },
      { kind: 'status', status: 503 },
    );
    const res = await chat('log-model');
    expect(res.status).toBe(502);
    expect(res.headers.get(HEADER)).toBeNull();
    expect(await attemptsOf(res)).toEqual([
      ['log-a', 500, 'req-log-dead'],
      ['log-b', 503, null],
    ]);
  });

  it('an id that is not plain visible ASCII is not kept', async () => {
    fake.enqueue(ok({ 'x-request-id': 'req with spaces' }));
    expect(await attemptsOf(await chat('plain-model'))).toEqual([['plain', 200, null]]);
  });
});
