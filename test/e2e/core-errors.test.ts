import { request } from 'node:http';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';
import { errorOf, postJson, sseData } from '../support/http.js';
import { type GatewayUnderTest, startGateway } from '../support/start-any-gateway.js';
import { channel } from '../support/start-gateway.js';

const SECRET_A = 'sk-upstream-secret-AAAA1111';
const SECRET_B = 'sk-upstream-secret-BBBB2222';
const fast = { first_byte_ms: 300, idle_ms: 300, total_ms: 300 };

let fake: FakeUpstream;
/** Runs on Node, or on the Worker with GATEWAY_RUNTIME=workers (test/support/start-any-gateway.ts). */
let gw: GatewayUnderTest;
let client: OpenAI;

beforeAll(async () => {
  fake = await startFakeUpstream();
  gw = await startGateway(
    {
      // Two attempts: enough to show failover, few enough to keep failure tests quick.
      routing: { max_attempts: 2 },
      channels: [
        channel({
          name: 'first',
          base_url: fake.baseUrl,
          keys: [SECRET_A],
          models: ['gpt-fake'],
          priority: 0,
        }),
        channel({
          name: 'backup',
          base_url: fake.baseUrl,
          keys: [SECRET_B],
          models: ['gpt-fake'],
          priority: 1,
        }),
        channel({
          name: 'slow',
          base_url: fake.baseUrl,
          keys: ['up-slow'],
          models: ['gpt-slow'],
          timeout: fast,
        }),
        channel({
          name: 'stall',
          base_url: fake.baseUrl,
          keys: ['up-stall'],
          models: ['gpt-stall'],
          timeout: fast,
        }),
        // One pair per upstream-failure scenario, so health state from one test cannot steer another.
        ...['c', 'r', 'u'].flatMap((p) => [
          channel({ name: `${p}1`, base_url: fake.baseUrl, keys: [SECRET_A], models: [`gpt-${p}`] }),
          channel({
            name: `${p}2`,
            base_url: fake.baseUrl,
            keys: [SECRET_B],
            models: [`gpt-${p}`],
            priority: 1,
          }),
        ]),
      ],
    },
    { BODY_LIMIT: '2kb', RESPONSE_LIMIT: '64kb' },
  );
  client = new OpenAI({ apiKey: gw.key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
  // Starting the Worker (GATEWAY_RUNTIME=workers) bundles it and starts workerd: seconds.
}, 120_000);
afterAll(async () => {
  await gw?.close();
  await fake?.close();
});
beforeEach(() => fake.reset());

const messages = [{ role: 'user', content: 'hi' }];

describe('request errors', () => {
  it('400 invalid_json for a body that is not JSON', async () => {
    const res = await postJson(gw, '/v1/chat/completions', '{"model": "gpt-fake", ');
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toMatchObject({ code: 'invalid_json', type: 'invalid_request_error' });
    const array = await postJson(gw, '/v1/chat/completions', '[1, 2]');
    expect((await errorOf(array)).code).toBe('invalid_json');
  });

  it('400 missing_model and missing_messages, naming the param', async () => {
    const noModel = await postJson(gw, '/v1/chat/completions', { messages });
    expect(noModel.status).toBe(400);
    expect(await errorOf(noModel)).toMatchObject({ code: 'missing_model', param: 'model' });
    const noMessages = await postJson(gw, '/v1/chat/completions', { model: 'gpt-fake' });
    expect(noMessages.status).toBe(400);
    expect(await errorOf(noMessages)).toMatchObject({ code: 'missing_messages', param: 'messages' });
    const emptyMessages = await postJson(gw, '/v1/chat/completions', { model: 'gpt-fake', messages: [] });
    expect((await errorOf(emptyMessages)).code).toBe('missing_messages');
    expect(fake.requests).toHaveLength(0);
  });

  it('404 model_not_found, as the openai client sees it', async () => {
    const failure = client.chat.completions.create({
      model: 'no-such-model',
      messages: [{ role: 'user', content: 'x' }],
    });
    await expect(failure).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(failure).rejects.toMatchObject({ status: 404, code: 'model_not_found', param: 'model' });
    expect(fake.requests).toHaveLength(0);
  });

  it('413 body_too_large when the body is over BODY_LIMIT', async () => {
    const big = JSON.stringify({
      model: 'gpt-fake',
      messages: [{ role: 'user', content: 'x'.repeat(4096) }],
    });
    const res = await postJson(gw, '/v1/chat/completions', big);
    expect(res.status).toBe(413);
    expect((await errorOf(res)).code).toBe('body_too_large');
    expect(fake.requests).toHaveLength(0);
  });

  it('413 also for a chunked body that announces no length', async () => {
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${gw.key}`, 'content-type': 'application/json' },
      });
      req.on('response', (res) => {
        let text = '';
        res.on('data', (c: Buffer) => {
          text += c.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', reject);
      for (let i = 0; i < 8; i++) req.write('x'.repeat(1024));
      req.end();
    });
    expect(status).toBe(413);
    expect(JSON.parse(body).error.code).toBe('body_too_large');
    expect(fake.requests).toHaveLength(0);
  });
});

describe('answers over RESPONSE_LIMIT', () => {
  // The gateway holds a whole non-stream answer before it commits to it: the bound keeps one
  // oversized answer from taking the process's memory.
  for (const chunked of [false, true]) {
    it(`502 for a non-stream answer larger than RESPONSE_LIMIT (${chunked ? 'chunked, no length' : 'with a content-length'}), recorded`, async () => {
      fake.enqueue({ kind: 'ok', content: 'y'.repeat(80 * 1024), chunked });
      const res = await postJson(gw, '/v1/chat/completions', { model: 'gpt-fake', messages });
      expect(res.status).toBe(502);
      const error = await errorOf(res);
      expect(error.code).toBe('upstream_failed');
      expect(error.message).toContain('RESPONSE_LIMIT');
      // The same request would be as large elsewhere: no second channel is asked.
      expect(fake.requests).toHaveLength(1);
      const entry = await gw.logOf(res.headers.get('x-request-id') ?? '');
      expect(entry).toMatchObject({ status: 502, error_code: 'upstream_failed', channel: 'first' });
    });
  }

  it('answers under the limit, and streams of any size, are served', async () => {
    fake.enqueue({ kind: 'ok', content: 'z'.repeat(32 * 1024), chunked: true });
    const small = await postJson(gw, '/v1/chat/completions', { model: 'gpt-fake', messages });
    expect(small.status).toBe(200);
    const completion = (await small.json()) as { choices: { message: { content: string } }[] };
    expect(completion.choices[0]?.message.content).toHaveLength(32 * 1024);
    fake.enqueue({ kind: 'ok', content: 'w'.repeat(80 * 1024) });
    const stream = await postJson(gw, '/v1/chat/completions', { model: 'gpt-fake', messages, stream: true });
    expect(stream.status).toBe(200);
    const text = sseData(await stream.text())
      .filter((d) => d !== '[DONE]')
      .map(
        (d) =>
          (JSON.parse(d) as { choices: { delta: { content?: string } }[] }).choices[0]?.delta.content ?? '',
      )
      .join('');
    expect(text).toHaveLength(80 * 1024);
  });
});

describe('upstream failures', () => {
  it('502 when every upstream failed, listing channels and statuses but no key', async () => {
    fake.onKey(SECRET_A, { kind: 'status', status: 500 });
    fake.onKey(SECRET_B, { kind: 'status', status: 503 });
    const res = await postJson(gw, '/v1/chat/completions', { model: 'gpt-fake', messages });
    expect(res.status).toBe(502);
    const text = await res.text();
    const { error } = JSON.parse(text) as { error: { code: string; message: string } };
    expect(error.code).toBe('upstream_failed');
    expect(error.message).toContain('first');
    expect(error.message).toContain('500');
    expect(error.message).toContain('backup');
    expect(error.message).toContain('503');
    for (const secret of [SECRET_A, SECRET_B, 'AAAA1111', 'BBBB2222']) expect(text).not.toContain(secret);
    expect(fake.requests.map((r) => r.headers.authorization)).toEqual([
      `Bearer ${SECRET_A}`,
      `Bearer ${SECRET_B}`,
    ]);
  });

  it('502 through the openai client too', async () => {
    fake.onKey(SECRET_A, { kind: 'status', status: 500 });
    fake.onKey(SECRET_B, { kind: 'status', status: 500 });
    await expect(
      client.chat.completions.create({ model: 'gpt-c', messages: [{ role: 'user', content: 'x' }] }),
    ).rejects.toMatchObject({ status: 502, code: 'upstream_failed' });
  });

  it('504 when the upstream never answers (non-stream and stream)', async () => {
    fake.onKey('up-slow', { kind: 'hang' });
    for (const stream of [false, true]) {
      const res = await postJson(gw, '/v1/chat/completions', { model: 'gpt-slow', messages, stream });
      expect(res.status).toBe(504);
      const error = await errorOf(res);
      expect(error.code).toBe('upstream_timeout');
      expect(error.message).toContain('slow');
    }
    expect(fake.requests.length).toBeGreaterThanOrEqual(2);
  });

  it('ends a stream that stalls mid-way with an SSE time-out error event', async () => {
    fake.enqueue({ kind: 'stall', afterChunks: 2 });
    const res = await postJson(gw, '/v1/chat/completions', { model: 'gpt-stall', messages, stream: true });
    expect(res.status).toBe(200);
    const events = sseData(await res.text());
    expect(events).toHaveLength(3);
    expect(JSON.parse(events[2] ?? '{}').error.code).toBe('upstream_timeout');
  });

  it('relays a non-retryable upstream 400 as is, without trying another channel', async () => {
    const body = {
      error: {
        message: "Invalid 'temperature': 9",
        type: 'invalid_request_error',
        param: 'temperature',
        code: 'bad_temp',
      },
    };
    fake.enqueue({ kind: 'status', status: 400, body });
    const res = await postJson(gw, '/v1/chat/completions', { model: 'gpt-r', messages, temperature: 9 });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual(body);
    expect(fake.requests).toHaveLength(1);
  });

  it('turns upstream 401s (bad upstream keys) into 502 once every key was tried, hiding the keys', async () => {
    // A rejected key is the operator's: the request moves on to the next key, never relays the 401.
    for (const key of [SECRET_A, SECRET_B])
      fake.enqueue({ kind: 'status', status: 401, body: { error: { message: `Incorrect API key ${key}` } } });
    const res = await postJson(gw, '/v1/chat/completions', { model: 'gpt-u', messages });
    expect(res.status).toBe(502);
    const text = await res.text();
    expect(JSON.parse(text).error.code).toBe('upstream_failed');
    expect(text).toContain('401');
    expect(text).not.toContain(SECRET_A);
    expect(text).not.toContain(SECRET_B);
    expect(fake.requests).toHaveLength(2);
  });
});
