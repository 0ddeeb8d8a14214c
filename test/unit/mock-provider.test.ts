import { describe, expect, it } from 'vitest';
import { mockProvider } from '../../src/providers/mock/provider.js';
import type { JsonObject } from '../../src/spec/json.js';
import type { Operation, UpstreamCall } from '../../src/spec/provider.js';
import { makeChannel } from '../support/channel-fixture.js';
import { sseData } from '../support/http.js';

const channel = makeChannel({ name: 'mock', provider: 'mock', keys: [''] });

function call(
  operation: Operation,
  json: JsonObject,
  stream = false,
  path = '/chat/completions',
): UpstreamCall {
  return {
    operation,
    target: { channel, keyIndex: 0, upstreamModel: 'mock-1' },
    apiKey: '',
    method: 'POST',
    path,
    search: '',
    json,
    rawBody: JSON.stringify(json),
    contentType: 'application/json',
    stream,
  };
}

async function send(c: UpstreamCall): Promise<Response> {
  const send = mockProvider.send;
  if (!send) throw new Error('the mock provider answers by itself');
  return send(mockProvider.buildRequest(c), c, new AbortController().signal);
}

const messages = [
  { role: 'system', content: 'be brief' },
  {
    role: 'user',
    content: [
      { type: 'text', text: 'first part, ' },
      { type: 'text', text: 'second part' },
    ],
  },
];
const expected = `Hello from Switchboard's mock provider. You said: "first part, second part"`;

describe('mock provider', () => {
  it('needs no key and no network', () => {
    expect(mockProvider.requiresKey).toBe(false);
    expect(mockProvider.forwardsAnyPath).toBe(false);
  });

  it('answers chat deterministically, quoting the last user message', async () => {
    const a = await (await send(call('chat', { model: 'mock-1', messages }))).json();
    const b = await (await send(call('chat', { model: 'mock-1', messages }))).json();
    expect(a).toEqual(b);
    expect(a.choices[0].message.content).toBe(expected);
    expect(a.model).toBe('mock-1');
    expect(a.usage.total_tokens).toBe(a.usage.prompt_tokens + a.usage.completion_tokens);
    expect(a.usage.completion_tokens).toBeGreaterThan(0);
  });

  it('streams the same text, without usage unless asked', async () => {
    const res = await send(call('chat', { model: 'mock-1', messages, stream: true }, true));
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const events = sseData(await res.text());
    expect(events.at(-1)).toBe('[DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e));
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('')).toBe(expected);
    expect(chunks.some((c) => 'usage' in c)).toBe(false);
    expect(chunks.at(-1).choices[0].finish_reason).toBe('stop');
  });

  it('ends the stream with a usage chunk when stream_options.include_usage is set', async () => {
    const body = { model: 'mock-1', messages, stream: true, stream_options: { include_usage: true } };
    const plain = await (await send(call('chat', { model: 'mock-1', messages }))).json();
    const events = sseData(await (await send(call('chat', body, true))).text());
    const last = JSON.parse(events.at(-2) ?? '{}');
    expect(last.choices).toEqual([]);
    expect(last.usage).toEqual(plain.usage);
    expect(events.at(-1)).toBe('[DONE]');
  });

  it('embeds deterministically with unit vectors, in float or base64', async () => {
    const body = { model: 'mock-embedding', input: ['hello', 'world'] };
    const a = await (await send(call('embeddings', body, false, '/embeddings'))).json();
    const b = await (await send(call('embeddings', body, false, '/embeddings'))).json();
    expect(a).toEqual(b);
    expect(a.data).toHaveLength(2);
    expect(a.data[0].embedding).not.toEqual(a.data[1].embedding);
    expect(Math.hypot(...a.data[0].embedding)).toBeCloseTo(1, 4);
    const encoded = await (
      await send(call('embeddings', { ...body, encoding_format: 'base64' }, false, '/embeddings'))
    ).json();
    const bytes = Buffer.from(encoded.data[1].embedding, 'base64');
    const decoded = Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4));
    expect(decoded).toEqual(a.data[1].embedding.map(Math.fround));
  });

  it('answers legacy completions from the prompt', async () => {
    const res = await (
      await send(call('completions', { model: 'mock-1', prompt: 'ping' }, false, '/completions'))
    ).json();
    expect(res.object).toBe('text_completion');
    expect(res.choices[0].text).toContain('"ping"');
  });

  it('refuses other paths with an OpenAI-shaped 404', async () => {
    const res = await send(call('passthrough', { model: 'mock-1' }, false, '/audio/speech'));
    expect(res.status).toBe(404);
    expect((await res.json()).error.code).toBe('unsupported_path');
  });
});
