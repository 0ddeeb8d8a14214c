import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createClientKey } from '../../src/auth/key-service.js';
import { FAKE_SIGNATURE, FAKE_THINKING } from '../fake-upstream/anthropic-format.js';
import { FAKE_TOOL_ARGUMENTS } from '../fake-upstream/openai-format.js';
import type { FakeUpstream } from '../fake-upstream/server.js';
import { waitFor } from '../support/http.js';
import type { TestGateway } from '../support/start-gateway.js';
import { PIXEL_PNG, startTranslationRig, WEATHER_TOOL } from './setup.js';

let fake: FakeUpstream;
let gw: TestGateway;
let client: OpenAI;

beforeAll(async () => {
  ({ fake, gw } = await startTranslationRig());
  client = new OpenAI({ apiKey: gw.key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
});
afterAll(async () => {
  await gw?.close();
  await fake?.close();
});
beforeEach(() => fake.reset());

const tools = [{ type: 'function' as const, function: WEATHER_TOOL }];
const last = () => fake.requests.at(-1);
const lastBody = () => last()?.json as Record<string, unknown>;

/** Streams a chat completion and reassembles it the way an OpenAI client does. */
async function streamed(params: Omit<OpenAI.ChatCompletionCreateParamsStreaming, 'stream'>) {
  const stream = await client.chat.completions.create({
    ...params,
    stream: true,
    stream_options: { include_usage: true },
  });
  let content = '';
  let reasoning = '';
  let args = '';
  let finish: string | null = null;
  let usage: OpenAI.CompletionUsage | undefined;
  let toolName = '';
  for await (const chunk of stream) {
    const choice = chunk.choices[0];
    const delta = choice?.delta as
      | (OpenAI.ChatCompletionChunk.Choice.Delta & { reasoning_content?: string })
      | undefined;
    content += delta?.content ?? '';
    reasoning += delta?.reasoning_content ?? '';
    for (const call of delta?.tool_calls ?? []) {
      args += call.function?.arguments ?? '';
      toolName ||= call.function?.name ?? '';
    }
    finish = choice?.finish_reason ?? finish;
    usage = chunk.usage ?? usage;
  }
  return { content, reasoning, args, finish, usage, toolName };
}

const UPSTREAMS = [
  { family: 'Anthropic', model: 'claude-native' },
  { family: 'Gemini', model: 'gemini-2.5-flash' },
] as const;

describe.each(UPSTREAMS)('openai SDK → Switchboard → $family upstream', ({ model }) => {
  it('answers text with a system prompt over several turns, with usage', async () => {
    const res = await client.chat.completions.create({
      model,
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'Hello' },
        { role: 'assistant', content: 'Hi.' },
        { role: 'user', content: 'Weather?' },
      ],
    });
    expect(res.choices[0]?.message.content).toBe(`fake answer from ${model}`);
    expect(res.choices[0]?.finish_reason).toBe('stop');
    expect(res.usage?.prompt_tokens).toBeGreaterThan(0);
    expect(res.usage?.prompt_tokens_details?.cached_tokens).toBeGreaterThan(0);
    const sent = JSON.stringify(lastBody());
    expect(sent).toContain('You are terse.');
    expect(sent).toContain('Weather?');
  });

  it('streams a tool call whose reassembled arguments equal the upstream’s exactly', async () => {
    const out = await streamed({ model, tools, messages: [{ role: 'user', content: 'Weather in Paris?' }] });
    expect(out.args).toBe(FAKE_TOOL_ARGUMENTS);
    expect(out.toolName).toBe('get_weather');
    expect(out.finish).toBe('tool_calls');
    expect(out.usage?.prompt_tokens).toBeGreaterThan(0);
  });

  it('sends tool results and images on to the upstream', async () => {
    const res = await client.chat.completions.create({
      model,
      tools,
      messages: [
        { role: 'user', content: 'Weather in Paris?' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            {
              id: 'call_1',
              type: 'function',
              function: { name: 'get_weather', arguments: '{"location":"Paris"}' },
            },
          ],
        },
        { role: 'tool', tool_call_id: 'call_1', content: '{"temp":21}' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'And this?' },
            { type: 'image_url', image_url: { url: `data:image/png;base64,${PIXEL_PNG}` } },
          ],
        },
      ],
    });
    expect(res.choices[0]?.message).toBeDefined();
    const sent = JSON.stringify(lastBody());
    expect(sent).toContain(PIXEL_PNG);
    expect(sent).toMatch(/tool_result|functionResponse/);
    expect(sent).toContain('temp');
  });

  it('turns an upstream error mid-stream into an error the SDK raises', async () => {
    fake.enqueue({ kind: 'sse-error', afterChunks: 3 });
    await expect(streamed({ model, messages: [{ role: 'user', content: 'hi' }] })).rejects.toThrow(
      /overloaded/i,
    );
  });

  it('delivers reasoning as reasoning_content', async () => {
    const out = await streamed({
      model,
      reasoning_effort: 'low',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(out.reasoning).toBe(FAKE_THINKING);
    expect(out.content).toBe(`fake answer from ${model}`);
  });
});

describe('upstream request shapes', () => {
  it('Anthropic: system on top, default max_tokens, thinking, x-api-key and version headers', async () => {
    const res = await client.chat.completions.create({
      model: 'claude-native',
      reasoning_effort: 'low',
      stop: ['END'],
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/cat.png' } }] },
      ],
    });
    const message = res.choices[0]?.message as OpenAI.ChatCompletionMessage & {
      reasoning_content?: string;
      reasoning_signature?: string;
    };
    expect(message.reasoning_content).toBe(FAKE_THINKING);
    expect(message.reasoning_signature).toBe(`anthropic:${FAKE_SIGNATURE}`);
    const request = last();
    expect(request?.path).toBe('/v1/messages');
    expect(request?.headers['x-api-key']).toBe('an-key');
    expect(request?.headers['anthropic-version']).toBe('2023-06-01');
    expect(request?.headers.authorization).toBeUndefined();
    expect(request?.json).toMatchObject({
      model: 'claude-native',
      system: [{ type: 'text', text: 'Be brief.' }],
      stop_sequences: ['END'],
      thinking: { type: 'enabled', budget_tokens: 2048 },
      messages: [
        {
          role: 'user',
          content: [{ type: 'image', source: { type: 'url', url: 'https://example.com/cat.png' } }],
        },
      ],
    });
    expect(Number(request?.json?.max_tokens)).toBeGreaterThan(2048);
  });

  it('Gemini: key in x-goog-api-key (not the URL), alt=sse for streams, roles and tools', async () => {
    await streamed({
      model: 'gemini-2.5-flash',
      tools,
      messages: [
        { role: 'system', content: 'S' },
        { role: 'user', content: 'U' },
      ],
    });
    const request = last();
    expect(request?.path).toBe('/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse');
    expect(request?.path).not.toContain('gm-key');
    expect(request?.headers['x-goog-api-key']).toBe('gm-key');
    expect(request?.json).toMatchObject({
      systemInstruction: { parts: [{ text: 'S' }] },
      contents: [{ role: 'user', parts: [{ text: 'U' }] }],
      tools: [
        { functionDeclarations: [{ name: 'get_weather', parametersJsonSchema: WEATHER_TOOL.parameters }] },
      ],
    });
  });

  it('Gemini: a blocked prompt is an error, not an empty answer', async () => {
    fake.enqueue({ kind: 'ok', content: 'BLOCK' });
    await expect(
      client.chat.completions.create({
        model: 'gemini-2.5-flash',
        messages: [{ role: 'user', content: 'x' }],
      }),
    ).rejects.toMatchObject({ status: 400, code: 'content_blocked' });
  });

  it('Azure: deployment URL with api-version and the api-key header; body as sent', async () => {
    const raw = JSON.stringify({ model: 'gpt-4o-azure', messages: [{ role: 'user', content: 'hi' }] });
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${gw.key}`, 'content-type': 'application/json' },
      body: raw,
    });
    expect(res.status).toBe(200);
    const request = last();
    expect(request?.path).toBe('/openai/deployments/my-deployment/chat/completions?api-version=2024-10-21');
    expect(request?.headers['api-key']).toBe('az-key');
    expect(request?.body).toBe(raw);
  });

  it('OpenAI-compatible with reasoning_content: relayed byte for byte', async () => {
    const body = `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'deepseek-reasoner', choices: [{ index: 0, delta: { reasoning_content: 'hmm' }, finish_reason: null }] })}\n\ndata: [DONE]\n\n`;
    fake.enqueue({ kind: 'raw-sse', body });
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${gw.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'deepseek-reasoner',
        stream: true,
        messages: [{ role: 'user', content: 'hi' }],
      }),
    });
    expect(await res.text()).toBe(body);
  });
});

describe('DeepSeek prompt cache hits on a same-format relay', () => {
  // DeepSeek reports cache hits as prompt_cache_hit_tokens, not prompt_tokens_details; the usage
  // record (and the cost, which prices cached input apart) must count them.
  const usage = {
    prompt_tokens: 1000,
    completion_tokens: 5,
    total_tokens: 1005,
    prompt_cache_hit_tokens: 900,
    prompt_cache_miss_tokens: 100,
  };
  const recordOf = async (requestId: string) => {
    await waitFor(() => gw.usage.some((r) => r.requestId === requestId), 'the usage record');
    return gw.usage.find((r) => r.requestId === requestId);
  };

  it('are recorded as cached tokens from a whole answer', async () => {
    fake.enqueue({
      kind: 'status',
      status: 200,
      body: {
        id: 'c1',
        object: 'chat.completion',
        created: 1,
        model: 'deepseek-chat',
        choices: [{ index: 0, message: { role: 'assistant', content: 'Hi.' }, finish_reason: 'stop' }],
        usage,
      },
    });
    await client.chat.completions.create(
      { model: 'deepseek-chat', messages: [{ role: 'user', content: 'hi' }] },
      { headers: { 'x-request-id': 'relay-cache-whole' } },
    );
    expect((await recordOf('relay-cache-whole'))?.usage).toMatchObject({
      promptTokens: 1000,
      cachedTokens: 900,
    });
  });

  it('are recorded as cached tokens from a stream', async () => {
    const chunk = (fields: object) =>
      `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'deepseek-chat', ...fields })}\n\n`;
    fake.enqueue({
      kind: 'raw-sse',
      body:
        chunk({ choices: [{ index: 0, delta: { content: 'Hi.' }, finish_reason: 'stop' }] }) +
        chunk({ choices: [], usage }) +
        'data: [DONE]\n\n',
    });
    const stream = await client.chat.completions.create(
      { model: 'deepseek-chat', messages: [{ role: 'user', content: 'hi' }], stream: true },
      { headers: { 'x-request-id': 'relay-cache-stream' } },
    );
    for await (const _ of stream);
    expect((await recordOf('relay-cache-stream'))?.usage).toMatchObject({
      promptTokens: 1000,
      cachedTokens: 900,
    });
  });
});

describe('cursor pipeline', () => {
  let cursor: OpenAI;
  beforeAll(async () => {
    const { secret } = await createClientKey(gw.node.storage.keys, { name: 'cursor', purpose: 'cursor' });
    cursor = new OpenAI({ apiKey: secret, baseURL: `${gw.url}/v1`, maxRetries: 0 });
  });

  const reasoningSse = () => {
    const chunk = (delta: object, finish: string | null = null) =>
      `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'deepseek-reasoner', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
    return `${chunk({ role: 'assistant', reasoning_content: 'Think ' })}${chunk({ reasoning_content: 'hard.' })}${chunk({ content: 'Answer.' })}${chunk({}, 'stop')}data: [DONE]\n\n`;
  };

  it('streams reasoning inside content as <think>…</think> before the answer', async () => {
    fake.enqueue({ kind: 'raw-sse', body: reasoningSse() });
    const stream = await cursor.chat.completions.create({
      model: 'deepseek-reasoner',
      stream: true,
      messages: [{ role: 'user', content: 'hi' }],
    });
    let content = '';
    let reasoning = '';
    for await (const chunk of stream) {
      content += chunk.choices[0]?.delta.content ?? '';
      reasoning +=
        (chunk.choices[0]?.delta as { reasoning_content?: string } | undefined)?.reasoning_content ?? '';
    }
    expect(content).toBe('<think>Think hard.</think>\n\nAnswer.');
    expect(reasoning).toBe('');
  });

  // With n: 2 the upstream streams two choices. The stream is decoded for the pipeline: the
  // first choice's finish was taken for the end of the whole answer, so a stream cut while the
  // other choice was unfinished went out as a complete answer, with both choices' text run
  // together into one.
  it('n: 2 cut while a choice is unfinished ends with an error, choice 0 alone as the content', async () => {
    const chunk = (index: number, delta: object, finish: string | null = null) =>
      `data: ${JSON.stringify({ id: 'c2', object: 'chat.completion.chunk', created: 1, model: 'deepseek-chat', choices: [{ index, delta, finish_reason: finish }] })}\n\n`;
    fake.enqueue({
      kind: 'raw-sse',
      body: `${chunk(0, { role: 'assistant', content: 'First.' })}${chunk(1, { role: 'assistant', content: 'Second' })}${chunk(0, {}, 'stop')}${chunk(1, { content: ' goes on' })}`,
    });
    const { secret } = await createClientKey(gw.node.storage.keys, { name: 'cursor-n', purpose: 'cursor' });
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'deepseek-chat',
        n: 2,
        stream: true,
        messages: [{ role: 'user', content: 'hi' }],
      }),
    });
    const events = (await res.text())
      .split('\n\n')
      .filter((e) => e.startsWith('data: '))
      .map((e) => e.slice(6));
    expect(events).not.toContain('[DONE]');
    const chunks = events.map(
      (e) => JSON.parse(e) as { error?: unknown; choices?: { delta: { content?: string } }[] },
    );
    expect(chunks.at(-1)?.error).toBeDefined();
    expect(chunks.map((c) => c.choices?.[0]?.delta.content ?? '').join('')).toBe('First.');
  });

  it('a body it cannot read is a 400 before any upstream call, and leaves nothing in flight', async () => {
    const { secret } = await createClientKey(gw.node.storage.keys, { name: 'cursor-2', purpose: 'cursor' });
    const sentBefore = fake.requests.length;
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'deepseek-chat',
        messages: [{ role: 'user', content: [{ type: 'file', file: { file_id: 'f-1' } }] }],
      }),
    });
    expect(res.status).toBe(400);
    expect(fake.requests.length).toBe(sentBefore);
    const snapshot = await gw.node.gateway.health.snapshot();
    expect(snapshot.channels.map((ch) => ch.inFlight).filter((n) => n > 0)).toEqual([]);
  });

  it('does the same for a whole answer, from an Anthropic thinking model', async () => {
    const res = await cursor.chat.completions.create({
      model: 'claude-native',
      reasoning_effort: 'low',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(res.choices[0]?.message.content).toBe(
      `<think>${FAKE_THINKING}</think>\n\nfake answer from claude-native`,
    );
  });
});
