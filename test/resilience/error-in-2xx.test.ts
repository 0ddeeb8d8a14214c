import { describe, expect, it } from 'vitest';
import { postJson, waitFor } from '../support/http.js';
import { channel } from '../support/start-gateway.js';
import { byKey, chat, startGateway, upstreamPerFile } from './support.js';

const upstream = upstreamPerFile();

async function gatewayWith(channels: Record<string, unknown>[], routing: Record<string, unknown> = {}) {
  const gw = await startGateway({ channels, routing });
  upstream.gateways.push(gw);
  return gw;
}

const one = (keys: string[]) =>
  channel({ name: 'one', base_url: upstream.fake.baseUrl, keys, models: ['m'] });
const two = () =>
  channel({ name: 'two', base_url: upstream.fake.baseUrl, keys: ['k-two'], models: ['m'], priority: 2 });

/**
 * Some upstreams (OpenRouter, gateways in front of others, several Chinese providers) answer an
 * error with HTTP 200 and the error in the body. Relayed as an answer, it reached the client as a
 * success without `choices` (the SDKs hand back an object whose reading then throws), was never
 * failed over, and left the channel healthy however often it failed.
 */
describe('an error answered with a 2xx status', () => {
  it('is failed over like the status it names, and the client gets the next answer', async () => {
    const gw = await gatewayWith([one(['k1']), two()]);
    upstream.fake.onKey('k1', {
      kind: 'status',
      status: 200,
      body: { error: { code: 502, message: 'Provider returned error' }, user_id: 'u' },
    });
    const res = await chat(gw);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { choices?: unknown[] };
    expect(body.choices).toHaveLength(1);
    expect(byKey(upstream.fake.requests, 'k1')).toHaveLength(1);
    expect(byKey(upstream.fake.requests, 'k-two')).toHaveLength(1);
    const record = await waitFor(() => gw.usage.at(-1), 'the usage record');
    expect(record.status).toBe(200);
    expect(record.channel).toBe('two');
    expect(record.attempts[0]).toMatchObject({ channel: 'one', status: 502 });
  });

  it('moves to the next key when it says the key is rate limited', async () => {
    const gw = await gatewayWith([one(['key-a', 'key-b'])]);
    upstream.fake.onKey('key-a', {
      kind: 'status',
      status: 200,
      body: { error: { type: 'rate_limit_exceeded', message: 'Rate limit reached for requests' } },
    });
    expect((await chat(gw)).status).toBe(200);
    expect(byKey(upstream.fake.requests, 'key-a')).toHaveLength(1);
    expect(byKey(upstream.fake.requests, 'key-b')).toHaveLength(1);
    const entry = (await gw.node.gateway.health.snapshot()).entries.find((e) => e.state === 'rate_limited');
    expect(entry).toMatchObject({ channel: 'one', keyIndex: 0 });
  });

  it('reaches the client with the status of a request error it names, and is not retried', async () => {
    const gw = await gatewayWith([one(['k1']), two()]);
    const error = {
      error: {
        message: "This model's maximum context length is 8192 tokens",
        type: 'invalid_request_error',
        code: 'context_length_exceeded',
        param: 'messages',
      },
    };
    upstream.fake.enqueue({ kind: 'status', status: 200, body: error });
    const res = await chat(gw);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual(error);
    expect(upstream.fake.requests).toHaveLength(1);
  });

  it('is an overload on the Anthropic route when every Anthropic upstream answers one with 200', async () => {
    const gw = await gatewayWith(
      [
        channel({
          name: 'an',
          provider: 'anthropic',
          base_url: `${upstream.fake.url}/v1`,
          keys: ['k1'],
          models: ['claude-fake'],
        }),
      ],
      { max_attempts: 2 },
    );
    const overloaded = { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } };
    upstream.fake.enqueue({ kind: 'status', status: 200, body: overloaded });
    upstream.fake.enqueue({ kind: 'status', status: 200, body: overloaded });
    const res = await postJson(gw, '/v1/messages', {
      model: 'claude-fake',
      max_tokens: 16,
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(res.status).toBe(529);
    expect(await res.json()).toMatchObject({ type: 'error', error: { type: 'overloaded_error' } });
    expect(upstream.fake.requests).toHaveLength(2);
  });

  // Anthropic can answer 200 and open the stream with `event: error` (overloaded_error): it was
  // committed and relayed, so Claude Code saw an overload with a healthy second channel unused.
  it('fails a stream over when its first event is an error, before the client got anything', async () => {
    const gw = await gatewayWith([
      channel({
        name: 'an-1',
        provider: 'anthropic',
        base_url: `${upstream.fake.url}/v1`,
        keys: ['an-k1'],
        models: ['claude-fake'],
      }),
      channel({
        name: 'an-2',
        provider: 'anthropic',
        base_url: `${upstream.fake.url}/v1`,
        keys: ['an-k2'],
        models: ['claude-fake'],
        priority: 2,
      }),
    ]);
    upstream.fake.onKey('an-k1', {
      kind: 'raw-sse',
      body: 'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n',
    });
    const res = await postJson(gw, '/v1/messages', {
      model: 'claude-fake',
      max_tokens: 16,
      stream: true,
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('event: message_stop');
    expect(text).not.toContain('overloaded_error');
    expect(upstream.fake.requests.map((r) => r.headers['x-api-key'])).toEqual(['an-k1', 'an-k2']);
    const record = await waitFor(() => gw.usage.at(-1), 'the usage record');
    expect(record).toMatchObject({ status: 200, channel: 'an-2' });
    expect(record.attempts[0]).toMatchObject({ channel: 'an-1', status: 529 });
  });

  it('relays a request error that opens a stream with its status, as a non-stream one', async () => {
    const gw = await gatewayWith([one(['k1']), two()]);
    const error = {
      error: { message: 'Invalid tool schema', type: 'invalid_request_error', param: 'tools' },
    };
    upstream.fake.enqueue({ kind: 'raw-sse', body: `data: ${JSON.stringify(error)}\n\n` });
    const res = await chat(gw, { stream: true });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual(error);
    expect(upstream.fake.requests).toHaveLength(1);
  });

  it('leaves an answer alone that only mentions an error in its text', async () => {
    const gw = await gatewayWith([one(['k1'])]);
    const answer = {
      id: 'chatcmpl-1',
      object: 'chat.completion',
      created: 0,
      model: 'm',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: '{"error": {"code": 500}}' },
          finish_reason: 'stop',
        },
      ],
      usage: { prompt_tokens: 3, completion_tokens: 9, total_tokens: 12 },
    };
    upstream.fake.enqueue({ kind: 'status', status: 200, body: answer });
    const res = await chat(gw);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(answer);
  });
});
