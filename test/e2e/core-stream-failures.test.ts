import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';
import { postJson, sseData, waitFor } from '../support/http.js';
import { type GatewayUnderTest, itNode, startGateway } from '../support/start-any-gateway.js';
import { channel } from '../support/start-gateway.js';

let fake: FakeUpstream;
/** Runs on Node, or on the Worker with GATEWAY_RUNTIME=workers (test/support/start-any-gateway.ts). */
let gw: GatewayUnderTest;
let client: OpenAI;

beforeAll(async () => {
  fake = await startFakeUpstream();
  gw = await startGateway({
    channels: [
      channel({ name: 'main', base_url: fake.baseUrl, keys: ['k-main'], models: ['gpt-fake'] }),
      channel({
        name: 'spare',
        base_url: fake.baseUrl,
        keys: ['k-spare'],
        models: ['gpt-fake'],
        priority: 1,
      }),
      // For the breaker test alone, so its health state steers no other test.
      channel({ name: 'cutting', base_url: fake.baseUrl, keys: ['k-cutting'], models: ['gpt-cut'] }),
      channel({
        name: 'whole',
        base_url: fake.baseUrl,
        keys: ['k-whole'],
        models: ['gpt-cut'],
        priority: 1,
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

const content = 'one two three four five six seven eight';
const streamBody = { model: 'gpt-fake', messages: [{ role: 'user', content: 'count' }], stream: true };

describe('an upstream stream that fails after bytes reached the client', () => {
  it('ends with one terminal SSE error event and never splices a second answer', async () => {
    fake.enqueue({ kind: 'drop', afterChunks: 3 });
    const res = await postJson(gw, '/v1/chat/completions', streamBody, { 'x-request-id': 'dropped-1' });
    expect(res.status).toBe(200);
    const received = Buffer.from(await res.arrayBuffer());
    const sent = Buffer.concat(fake.requests[0]?.sent ?? []);
    // What the client got is exactly what the upstream sent, then the error event, nothing more.
    expect(received.subarray(0, sent.length).equals(sent)).toBe(true);
    const trailer = sseData(received.subarray(sent.length).toString('utf8'));
    expect(trailer).toHaveLength(1);
    const { error } = JSON.parse(trailer[0] ?? '{}') as { error: Record<string, unknown> };
    expect(error).toMatchObject({
      code: 'upstream_stream_error',
      type: 'upstream_error',
      request_id: 'dropped-1',
    });
    expect(sseData(received.toString('utf8'))).not.toContain('[DONE]');
    expect(fake.requests).toHaveLength(1);
    const record = await gw.logOf('dropped-1');
    expect(record.error_code).toBe('upstream_stream_error');
  });

  it('makes the openai client stream throw an APIError after the partial text', async () => {
    fake.enqueue({ kind: 'drop', afterChunks: 3 });
    const stream = await client.chat.completions.create({
      model: 'gpt-fake',
      messages: [{ role: 'user', content: 'count' }],
      stream: true,
    });
    let text = '';
    const consume = async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    };
    await expect(consume()).rejects.toBeInstanceOf(OpenAI.APIError);
    expect(text).toBe('fake answer ');
    expect(fake.requests).toHaveLength(1);
  });

  it('relays an error event the upstream itself sent mid-stream, and tries nothing else', async () => {
    fake.enqueue({ kind: 'sse-error', afterChunks: 2 });
    const res = await postJson(gw, '/v1/chat/completions', streamBody);
    const events = sseData(await res.text());
    expect(events).toHaveLength(3);
    expect(JSON.parse(events[2] ?? '{}').error.message).toBe('overloaded mid-stream');
    expect(fake.requests).toHaveLength(1);
  });
});

describe('a channel whose streams break part-way', () => {
  it('opens its breaker after failure_threshold broken streams, and the next ones go elsewhere', async () => {
    fake.onKey('k-cutting', { kind: 'drop', afterChunks: 2 });
    const served: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await postJson(gw, '/v1/chat/completions', { ...streamBody, model: 'gpt-cut' });
      expect(res.status).toBe(200);
      await res.text();
      served.push(String(fake.requests.at(-1)?.headers.authorization));
    }
    // Each broken stream's verdict reaches the health store after its answer ended.
    expect(served).toEqual([
      'Bearer k-cutting',
      'Bearer k-cutting',
      'Bearer k-cutting',
      'Bearer k-whole',
      'Bearer k-whole',
    ]);
  });
});

describe('a client that goes away', () => {
  it('aborts the upstream request when it disconnects mid-stream', async () => {
    fake.enqueue({ kind: 'drip', intervalMs: 30 });
    const res = await postJson(
      gw,
      '/v1/chat/completions',
      { ...streamBody, messages: [{ role: 'user', content }] },
      { 'x-request-id': 'left-mid-stream' },
    );
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const first = await reader.read();
    expect(first.done).toBe(false);
    await reader.cancel();
    const upstream = fake.requests[0];
    const abortedAt = await waitFor(() => upstream?.abortedAt, 'upstream abort');
    expect(abortedAt).toBeGreaterThan(0);
    expect(fake.requests).toHaveLength(1);
    // The request log says the client left (on the Worker too: written through waitUntil).
    expect(await gw.logOf('left-mid-stream')).toMatchObject({ status: 499, error_code: 'client_closed' });
  });

  itNode(
    'aborts the upstream request when it disconnects before any byte',
    'workerd run locally (Miniflare) does not notice a client that leaves before the response starts',
    async () => {
      fake.enqueue({ kind: 'hang' });
      const controller = new AbortController();
      const pending = fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${gw.key}`, 'content-type': 'application/json' },
        body: JSON.stringify(streamBody),
        signal: controller.signal,
      }).catch((err: unknown) => err);
      const upstream = await waitFor(() => fake.requests[0], 'upstream request');
      controller.abort();
      await pending;
      await waitFor(() => upstream.abortedAt, 'upstream abort');
      // The gateway must not fail over to the spare channel for a client that has left.
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(fake.requests).toHaveLength(1);
    },
  );
});
