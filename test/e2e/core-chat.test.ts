import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FAKE_TOOL_ARGUMENTS } from '../fake-upstream/openai-format.js';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';
import { postJson, sseData } from '../support/http.js';
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
        keys: ['up-chat'],
        models: ['gpt-fake'],
        model_map: { 'client-alias': 'upstream-real' },
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

const weatherTool = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    description: 'Weather for a place',
    parameters: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] },
  },
};

describe('chat completions', () => {
  it('answers non-stream through the openai client, with usage', async () => {
    const res = await client.chat.completions.create({
      model: 'gpt-fake',
      messages: [{ role: 'user', content: 'hello' }],
    });
    expect(res.choices[0]?.message.content).toBe('fake answer from gpt-fake');
    expect(res.usage?.total_tokens).toBeGreaterThan(0);
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]?.path).toBe('/v1/chat/completions');
  });

  it('streams through the openai client, which reassembles the text', async () => {
    const stream = await client.chat.completions.create(
      {
        model: 'gpt-fake',
        messages: [{ role: 'user', content: 'hello' }],
        stream: true,
        stream_options: { include_usage: true },
      },
      { headers: { 'x-request-id': 'chat-stream-usage' } },
    );
    let text = '';
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe('fake answer from gpt-fake');
    expect(usage?.completion_tokens).toBe(4);
    const record = await gw.logOf('chat-stream-usage');
    expect(record).toMatchObject({ stream: true, status: 200, completion_tokens: 4 });
  });

  it('relays the SSE bytes exactly as the upstream sent them, chunk by chunk', async () => {
    fake.enqueue({ kind: 'drip', intervalMs: 2 });
    const res = await postJson(gw, '/v1/chat/completions', {
      model: 'gpt-fake',
      messages: [{ role: 'user', content: 'a longer question for more chunks' }],
      stream: true,
      // Asked by the client, so the usage event is the client's too and nothing is held back
      // (the gateway's own request for it is covered in test/accounting/).
      stream_options: { include_usage: true },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const received = Buffer.from(await res.arrayBuffer());
    const sent = Buffer.concat(fake.requests[0]?.sent ?? []);
    expect(sent.length).toBeGreaterThan(0);
    expect(received.equals(sent)).toBe(true);
    expect(sseData(received.toString('utf8')).at(-1)).toBe('[DONE]');
  });

  it('relays odd but valid SSE (comments, event names, CRLF, multi-byte text) byte for byte', async () => {
    const body =
      ': keep-alive\r\n\r\nevent: message\r\ndata: {"choices":[{"index":0,"delta":{"content":"héllo ✓ 你好"}}]}\r\n\r\n' +
      'data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"x_vendor":{"a":1}}\n\ndata: [DONE]\n\n';
    fake.enqueue({ kind: 'raw-sse', body });
    const res = await postJson(gw, '/v1/chat/completions', {
      model: 'gpt-fake',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
    });
    expect(Buffer.from(await res.arrayBuffer()).equals(Buffer.from(body, 'utf8'))).toBe(true);
  });

  it.each([
    ['LF', '\n'],
    ['CRLF', '\r\n'],
    ['CR', '\r'],
  ])(
    'relays a %s stream written one byte at a time unchanged, but for the usage event it asked for itself',
    async (_, eol) => {
      const event = (data: object, name?: string) =>
        `${name ? `event: ${name}${eol}` : ''}data: ${JSON.stringify(data)}${eol}${eol}`;
      const chunk = { id: 'c', object: 'chat.completion.chunk', created: 1, model: 'gpt-fake' };
      const kept =
        `: keep-alive${eol}${eol}` +
        event(
          { ...chunk, choices: [{ index: 0, delta: { content: 'héllo ✓ 你好 🎉' }, finish_reason: null }] },
          'message',
        ) +
        event({ ...chunk, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] });
      const usage = event({
        ...chunk,
        choices: [],
        usage: { prompt_tokens: 3, completion_tokens: 5, total_tokens: 8 },
      });
      const done = `data: [DONE]${eol}${eol}`;
      const bytes = Buffer.from(kept + usage + done, 'utf8');
      // Every split there is: inside a CRLF, inside a UTF-8 character, inside `[DONE]`.
      fake.enqueue({ kind: 'raw-pieces', pieces: [...bytes].map((byte) => Uint8Array.of(byte)) });
      const res = await postJson(gw, '/v1/chat/completions', {
        model: 'gpt-fake',
        messages: [{ role: 'user', content: 'hi' }],
        stream: true,
      });
      // The client did not ask for usage: the gateway's own usage event is the one thing left out.
      expect(Buffer.from(await res.arrayBuffer()).toString('utf8')).toBe(kept + done);
    },
  );

  it('forwards stream chunks as they arrive instead of buffering the whole answer', async () => {
    // The upstream sends three events and then goes silent without ending: a buffering
    // gateway would show the client nothing.
    fake.enqueue({ kind: 'stall', afterChunks: 3 });
    const res = await postJson(gw, '/v1/chat/completions', {
      model: 'gpt-fake',
      messages: [{ role: 'user', content: 'one two three four' }],
      stream: true,
    });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    let text = '';
    const decoder = new TextDecoder();
    while (sseData(text).length < 3) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    expect(sseData(text)).toHaveLength(3);
    await reader.cancel();
  });

  it('returns a tool call non-stream with the upstream arguments', async () => {
    const res = await client.chat.completions.create({
      model: 'gpt-fake',
      messages: [{ role: 'user', content: 'weather in Paris?' }],
      tools: [weatherTool],
      tool_choice: 'auto',
    });
    const call = res.choices[0]?.message.tool_calls?.[0];
    expect(call?.type === 'function' && call.function.arguments).toBe(FAKE_TOOL_ARGUMENTS);
    expect(res.choices[0]?.finish_reason).toBe('tool_calls');
  });

  it('streams tool-call arguments that reassemble to exactly the upstream arguments', async () => {
    const stream = client.chat.completions.stream({
      model: 'gpt-fake',
      messages: [{ role: 'user', content: 'weather in Paris?' }],
      tools: [weatherTool],
    });
    const final = await stream.finalChatCompletion();
    const call = final.choices[0]?.message.tool_calls?.[0];
    expect(call?.type === 'function' && call.function.name).toBe('get_weather');
    expect(call?.type === 'function' && call.function.arguments).toBe(FAKE_TOOL_ARGUMENTS);
    expect(fake.requests[0]?.json?.tools).toEqual([weatherTool]);
  });
});

describe('request fields reach the upstream untouched', () => {
  it('forwards the exact body bytes, unknown and vendor fields included', async () => {
    const text = `{ "model": "gpt-fake",  "messages": [{"role":"user","content":"hi ✓"}],
      "tools": [${JSON.stringify(weatherTool)}], "tool_choice": {"type":"function","function":{"name":"get_weather"}},
      "response_format": {"type":"json_object"}, "stream_options": null, "logprobs": true, "top_logprobs": 2,
      "n": 2, "seed": 42, "reasoning_effort": "high", "top_k": 40, "x_vendor": {"nested": [1, 2.50, null]} }`;
    const res = await postJson(gw, '/v1/chat/completions', text);
    expect(res.status).toBe(200);
    expect(fake.requests[0]?.body).toBe(text);
  });

  it('passes the fields the openai client sends', async () => {
    await client.chat.completions.create({
      model: 'gpt-fake',
      messages: [{ role: 'user', content: 'hi' }],
      response_format: { type: 'json_object' },
      logprobs: true,
      n: 2,
      seed: 7,
      reasoning_effort: 'low',
      stream: true,
      stream_options: { include_usage: true },
      // A vendor extra the SDK types do not know.
      ...({ top_k: 40 } as Record<string, unknown>),
    });
    expect(fake.requests[0]?.json).toMatchObject({
      response_format: { type: 'json_object' },
      logprobs: true,
      n: 2,
      seed: 7,
      reasoning_effort: 'low',
      stream: true,
      stream_options: { include_usage: true },
      top_k: 40,
    });
  });

  it('model_map rewrites only the model name', async () => {
    const body = {
      model: 'client-alias',
      messages: [{ role: 'user', content: 'hi' }],
      temperature: 0.25,
      tools: [weatherTool],
      top_k: 3,
      metadata: { a: 'b' },
    };
    const res = await postJson(gw, '/v1/chat/completions', body, { 'x-request-id': 'chat-model-map' });
    expect(res.status).toBe(200);
    expect(fake.requests[0]?.json).toEqual({ ...body, model: 'upstream-real' });
    const record = await gw.logOf('chat-model-map');
    expect(record).toMatchObject({ model_asked: 'client-alias', model_served: 'upstream-real' });
  });

  it('does not forward the client key or the client headers upstream', async () => {
    await postJson(
      gw,
      '/v1/chat/completions',
      { model: 'gpt-fake', messages: [{ role: 'user', content: 'hi' }] },
      {
        'x-api-key': gw.key,
      },
    );
    const headers = fake.requests[0]?.headers ?? {};
    expect(headers.authorization).toBe('Bearer up-chat');
    expect(JSON.stringify(headers)).not.toContain(gw.key);
  });
});
