import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fakeEmbedding } from '../fake-upstream/openai-format.js';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';
import { errorOf, postJson } from '../support/http.js';
import { type GatewayUnderTest, startGateway } from '../support/start-any-gateway.js';
import { channel } from '../support/start-gateway.js';

let fake: FakeUpstream;
/** Runs on Node, or on the Worker with GATEWAY_RUNTIME=workers (test/support/start-any-gateway.ts). */
let gw: GatewayUnderTest;
let client: OpenAI;

beforeAll(async () => {
  fake = await startFakeUpstream();
  gw = await startGateway({
    channels: [
      channel({
        name: 'fake',
        base_url: fake.baseUrl,
        keys: ['up-a'],
        models: ['gpt-fake', 'gpt-other', 'text-embedding-fake', 'babbage-fake'],
        model_map: { 'embed-alias': 'text-embedding-3-small' },
      }),
      channel({ name: 'second', base_url: fake.baseUrl, keys: ['up-b'], models: ['claude-like'] }),
      channel({ name: 'demo', provider: 'mock', models: ['mock-1'] }),
      channel({
        name: 'beta-pinned',
        base_url: fake.baseUrl,
        keys: ['up-c'],
        models: ['assistant-pinned'],
        headers: { 'OpenAI-Beta': 'assistants=v1' },
      }),
    ],
  });
  client = new OpenAI({ apiKey: gw.key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
  // Starting the Worker (GATEWAY_RUNTIME=workers) bundles it and starts workerd: seconds.
}, 120_000);
afterAll(async () => {
  await gw?.close();
  await fake?.close();
});
beforeEach(() => fake.reset());

const auth = () => ({ authorization: `Bearer ${gw.key}` });

describe('embeddings', () => {
  it('works with the openai client default (base64) encoding', async () => {
    const res = await client.embeddings.create({ model: 'text-embedding-fake', input: ['hello', 'hi'] });
    expect(res.data).toHaveLength(2);
    expect(res.data[1]?.embedding).toEqual(fakeEmbedding('hi', 1).map(Math.fround));
    expect(fake.requests[0]?.json?.encoding_format).toBe('base64');
  });

  it('works with float encoding and maps the model', async () => {
    const res = await client.embeddings.create({
      model: 'embed-alias',
      input: 'hello',
      encoding_format: 'float',
    });
    expect(res.data[0]?.embedding).toEqual(fakeEmbedding('hello', 0));
    expect(fake.requests[0]?.json?.model).toBe('text-embedding-3-small');
    expect(fake.requests[0]?.path).toBe('/v1/embeddings');
  });
});

describe('legacy completions', () => {
  it('answers through the openai client', async () => {
    const res = await client.completions.create({ model: 'babbage-fake', prompt: 'Say this', max_tokens: 5 });
    expect(res.choices[0]?.text).toBe('fake completion text');
    expect(fake.requests[0]?.path).toBe('/v1/completions');
    expect(fake.requests[0]?.json).toEqual({ model: 'babbage-fake', prompt: 'Say this', max_tokens: 5 });
  });
});

describe('GET /v1/models', () => {
  it('lists every served model for an unrestricted key, in the OpenAI list shape', async () => {
    const ids: string[] = [];
    for await (const model of client.models.list()) ids.push(model.id);
    expect(ids.sort()).toEqual(
      [
        'assistant-pinned',
        'babbage-fake',
        'claude-like',
        'embed-alias',
        'gpt-fake',
        'gpt-other',
        'mock-1',
        'text-embedding-fake',
      ].sort(),
    );
    const raw = (await (await fetch(`${gw.url}/v1/models`, { headers: auth() })).json()) as {
      object: string;
      data: { id: string; object: string; owned_by: string }[];
    };
    expect(raw.object).toBe('list');
    expect(raw.data.find((m) => m.id === 'mock-1')).toMatchObject({ object: 'model', owned_by: 'mock' });
    expect(fake.requests).toHaveLength(0);
  });

  it('lists only the models a scoped key may use, and refuses the others', async () => {
    const secret = await gw.createKey({ name: 'scoped', models: ['gpt-*'] });
    const scoped = new OpenAI({ apiKey: secret, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const ids: string[] = [];
    for await (const model of scoped.models.list()) ids.push(model.id);
    expect(ids.sort()).toEqual(['gpt-fake', 'gpt-other']);
    expect((await scoped.models.retrieve('gpt-fake')).id).toBe('gpt-fake');
    await expect(scoped.models.retrieve('claude-like')).rejects.toMatchObject({ status: 404 });
    await expect(
      scoped.chat.completions.create({ model: 'claude-like', messages: [{ role: 'user', content: 'hi' }] }),
    ).rejects.toMatchObject({ status: 403, code: 'model_not_allowed' });
    expect(fake.requests).toHaveLength(0);
  });
});

describe('/api/v1 alias', () => {
  it('serves the same API under /api/v1', async () => {
    const alias = new OpenAI({ apiKey: gw.key, baseURL: `${gw.url}/api/v1`, maxRetries: 0 });
    const res = await alias.chat.completions.create({
      model: 'gpt-fake',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(res.choices[0]?.message.content).toBe('fake answer from gpt-fake');
    expect(fake.requests[0]?.path).toBe('/v1/chat/completions');
    const models = (await (await fetch(`${gw.url}/api/v1/models`, { headers: auth() })).json()) as {
      data: unknown[];
    };
    expect(models.data.length).toBeGreaterThan(0);
    const missing = await fetch(`${gw.url}/api/v1/models`);
    expect((await errorOf(missing)).code).toBe('missing_api_key');
  });
});

describe('pass-through of other /v1 paths', () => {
  it('forwards POST /v1/audio/speech to the channel serving its model', async () => {
    const body = JSON.stringify({ model: 'claude-like', input: 'Hello', voice: 'alloy' });
    const res = await postJson(gw, '/v1/audio/speech', body);
    expect(res.status).toBe(200);
    const sent = fake.requests[0];
    expect(sent?.method).toBe('POST');
    expect(sent?.path).toBe('/v1/audio/speech');
    expect(sent?.body).toBe(body);
    expect(sent?.headers.authorization).toBe('Bearer up-b');
  });

  it('forwards GET /v1/files?x=1 with its query string', async () => {
    const res = await fetch(`${gw.url}/v1/files?x=1&purpose=batch`, { headers: auth() });
    expect(res.status).toBe(200);
    const echo = (await res.json()) as { echo: { method: string; path: string } };
    expect(echo.echo).toMatchObject({ method: 'GET', path: '/v1/files?x=1&purpose=batch' });
    expect(fake.requests).toHaveLength(1);
  });

  it('forwards a multipart body unchanged under the /api/v1 alias', async () => {
    const boundary = 'sb-test-boundary';
    const body =
      `--${boundary}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nfine-tune\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="d.jsonl"\r\n` +
      `Content-Type: application/octet-stream\r\n\r\n{"a":1}\n{"b":2}\n\r\n--${boundary}--\r\n`;
    const contentType = `multipart/form-data; boundary=${boundary}`;
    const res = await fetch(`${gw.url}/api/v1/files`, {
      method: 'POST',
      headers: { ...auth(), 'content-type': contentType },
      body,
    });
    expect(res.status).toBe(200);
    const sent = fake.requests[0];
    expect(sent?.path).toBe('/v1/files');
    expect(sent?.headers['content-type']).toBe(contentType);
    expect(sent?.body).toBe(body);
  });

  // OpenAI answers the Assistants API 400 without `OpenAI-Beta: assistants=v2`, which the
  // openai SDK sends on those calls; the gateway dropped it, so no assistant call went through.
  it("passes the client's OpenAI-Beta header on (the Assistants API requires it)", async () => {
    const res = await fetch(`${gw.url}/v1/threads`, {
      method: 'POST',
      headers: { ...auth(), 'content-type': 'application/json', 'openai-beta': 'assistants=v2' },
      body: JSON.stringify({ model: 'gpt-fake', messages: [{ role: 'user', content: 'Hello' }] }),
    });
    expect(res.status).toBe(200);
    expect(fake.requests[0]?.headers['openai-beta']).toBe('assistants=v2');
  });

  it("sends the channel's own OpenAI-Beta, in whatever case it is written, instead of the client's", async () => {
    const res = await fetch(`${gw.url}/v1/threads`, {
      method: 'POST',
      headers: { ...auth(), 'content-type': 'application/json', 'openai-beta': 'assistants=v2' },
      body: JSON.stringify({ model: 'assistant-pinned' }),
    });
    expect(res.status).toBe(200);
    expect(fake.requests[0]?.headers['openai-beta']).toBe('assistants=v1');
  });

  // A JSON "stream": true made the answer SSE whatever the upstream sent: an NDJSON stream
  // (Cohere's /v1/chat, Ollama's /api/chat) was relabelled text/event-stream and held back
  // waiting for blank lines that never come, so the client got nothing until the end.
  it('relays a streamed answer that is not SSE (NDJSON) as it arrives, under its own type', async () => {
    const lines = [
      '{"event_type":"text-generation","text":"Hi"}\n',
      '{"event_type":"text-generation","text":"!"}\n',
    ];
    // The upstream goes silent after its lines without ending: only a relay that forwards them
    // as they come lets the client read them.
    fake.enqueue({
      kind: 'raw-pieces',
      pieces: lines,
      headers: { 'content-type': 'application/x-ndjson' },
      stall: true,
    });
    const res = await fetch(`${gw.url}/v1/chat`, {
      method: 'POST',
      headers: { ...auth(), 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-fake', message: 'Hello', stream: true }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-ndjson');
    // As an SSE answer: a reverse proxy in front (nginx) must not hold it back to buffer it.
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('x-accel-buffering')).toBe('no');
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = '';
    while (text.length < lines.join('').length) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    expect(text).toBe(lines.join(''));
    await reader.cancel();
  });

  // Ollama streams /api/chat and /api/generate unless told `"stream": false`: its NDJSON type says
  // the answer is a stream, not the request. A plain JSON answer is left to the usual caching.
  it('an NDJSON answer to a request without "stream": true is not buffered by a proxy either', async () => {
    fake.enqueue({
      kind: 'raw-pieces',
      pieces: ['{"message":{"content":"Hi"},"done":false}\n', '{"done":true}\n'],
      headers: { 'content-type': 'application/x-ndjson; charset=utf-8' },
    });
    const streamed = await fetch(`${gw.url}/v1/api/chat`, {
      method: 'POST',
      headers: { ...auth(), 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-fake', messages: [{ role: 'user', content: 'Hello' }] }),
    });
    expect(streamed.status).toBe(200);
    expect(streamed.headers.get('cache-control')).toBe('no-cache');
    expect(streamed.headers.get('x-accel-buffering')).toBe('no');
    await streamed.text();
    const plain = await fetch(`${gw.url}/v1/moderations`, {
      method: 'POST',
      headers: { ...auth(), 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-fake', input: 'Hello' }),
    });
    expect(plain.status).toBe(200);
    expect(plain.headers.get('x-accel-buffering')).toBeNull();
    await plain.text();
  });

  // The openai Python SDK sends `Content-Type: application/json` on every call, a body or not:
  // files.delete, batches.cancel, fine_tuning.jobs.cancel… were refused as invalid JSON.
  it('forwards a call with a JSON content type and no body (the openai Python SDK on DELETE and cancel)', async () => {
    const headers = { ...auth(), 'content-type': 'application/json' };
    const deleted = await fetch(`${gw.url}/v1/files/file-abc`, { method: 'DELETE', headers });
    expect(deleted.status).toBe(200);
    const cancelled = await fetch(`${gw.url}/v1/batches/batch_1/cancel`, { method: 'POST', headers });
    expect(cancelled.status).toBe(200);
    expect(fake.requests.map((r) => [r.method, r.path, r.body])).toEqual([
      ['DELETE', '/v1/files/file-abc', ''],
      ['POST', '/v1/batches/batch_1/cancel', ''],
    ]);
  });

  it('relays the upstream status and body of a pass-through call', async () => {
    fake.enqueue({ kind: 'status', status: 404, body: { error: { message: 'No such file', code: 'nf' } } });
    const res = await fetch(`${gw.url}/v1/files/file-123`, { headers: auth() });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { message: 'No such file', code: 'nf' } });
  });
});
