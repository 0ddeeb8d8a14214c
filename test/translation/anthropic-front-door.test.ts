import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FAKE_SIGNATURE, FAKE_THINKING } from '../fake-upstream/anthropic-format.js';
import { FAKE_TOOL_ARGUMENTS } from '../fake-upstream/openai-format.js';
import type { FakeUpstream } from '../fake-upstream/server.js';
import type { GatewayUnderTest } from '../support/start-any-gateway.js';
import { PIXEL_PNG, startTranslationRigUnderTest, WEATHER_TOOL } from './setup.js';

let fake: FakeUpstream;
/** Runs on Node, or on the Worker with GATEWAY_RUNTIME=workers (test/support/start-any-gateway.ts). */
let gw: GatewayUnderTest;
let client: Anthropic;

beforeAll(async () => {
  ({ fake, gw } = await startTranslationRigUnderTest());
  // What ANTHROPIC_BASE_URL + ANTHROPIC_API_KEY give Claude Code: the SDK appends /v1/messages.
  client = new Anthropic({ apiKey: gw.key, baseURL: gw.url, maxRetries: 0 });
  // Starting the Worker (GATEWAY_RUNTIME=workers) bundles it and starts workerd: seconds.
}, 120_000);
afterAll(async () => {
  await gw?.close();
  await fake?.close();
});
beforeEach(() => fake.reset());

const tool: Anthropic.Tool = {
  name: WEATHER_TOOL.name,
  description: WEATHER_TOOL.description,
  input_schema: WEATHER_TOOL.parameters as unknown as Anthropic.Tool.InputSchema,
};
const lastBody = () => fake.requests.at(-1)?.json as Record<string, unknown>;

/** Streams a request and returns the final message plus the raw tool-argument text the SDK saw. */
async function streamed(params: Anthropic.MessageStreamParams) {
  const stream = client.messages.stream(params);
  let argumentText = '';
  let thinking = '';
  stream.on('inputJson', (delta) => {
    argumentText += delta;
  });
  stream.on('thinking', (delta) => {
    thinking += delta;
  });
  const message = await stream.finalMessage();
  return { message, argumentText, thinking };
}

const UPSTREAMS = [
  { family: 'OpenAI-compatible', model: 'claude-sonnet-4-5', served: 'deepseek-chat' },
  { family: 'Gemini', model: 'claude-haiku-4-5', served: 'gemini-2.5-flash' },
  { family: 'Anthropic (native)', model: 'claude-native', served: 'claude-native' },
] as const;

describe.each(UPSTREAMS)('Anthropic SDK → Switchboard → $family upstream', ({ model, served }) => {
  it('answers text with a system prompt over several turns, with usage and stop reason', async () => {
    const message = await client.messages.create({
      model,
      max_tokens: 256,
      system: 'You are terse.',
      messages: [
        { role: 'user', content: 'Hello' },
        { role: 'assistant', content: 'Hi.' },
        { role: 'user', content: 'Weather?' },
      ],
    });
    expect(message.content[0]).toMatchObject({ type: 'text', text: `fake answer from ${served}` });
    expect(message.stop_reason).toBe('end_turn');
    expect(message.usage.input_tokens + (message.usage.cache_read_input_tokens ?? 0)).toBeGreaterThan(0);
    expect(message.usage.output_tokens).toBeGreaterThan(0);
    const body = lastBody();
    expect(JSON.stringify(body)).toContain('You are terse.');
    expect(JSON.stringify(body)).toContain('Weather?');
  });

  it('streams a tool call whose reassembled arguments equal the upstream’s exactly', async () => {
    const { message, argumentText } = await streamed({
      model,
      max_tokens: 256,
      tools: [tool],
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
    });
    expect(argumentText).toBe(FAKE_TOOL_ARGUMENTS);
    const call = message.content.find((b) => b.type === 'tool_use');
    expect(call).toMatchObject({
      type: 'tool_use',
      name: 'get_weather',
      input: JSON.parse(FAKE_TOOL_ARGUMENTS),
    });
    expect(message.stop_reason).toBe('tool_use');
  });

  it('sends tool results and images on to the upstream', async () => {
    const message = await client.messages.create({
      model,
      max_tokens: 256,
      messages: [
        { role: 'user', content: 'Weather in Paris?' },
        {
          role: 'assistant',
          content: [{ type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { location: 'Paris' } }],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'toolu_1', content: '{"temp":21}' },
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PIXEL_PNG } },
            { type: 'text', text: 'And this picture?' },
          ],
        },
      ],
      tools: [tool],
    });
    expect(message.content.length).toBeGreaterThan(0);
    const sent = JSON.stringify(lastBody());
    expect(sent).toContain(PIXEL_PNG);
    expect(sent).toContain('temp');
    expect(sent).toContain('get_weather');
  });

  it('turns an upstream error mid-stream into an error the SDK raises', async () => {
    fake.enqueue({ kind: 'sse-error', afterChunks: 3 });
    const stream = client.messages.stream({
      model,
      max_tokens: 64,
      messages: [{ role: 'user', content: 'hi' }],
    });
    await expect(stream.finalMessage()).rejects.toThrow(/overloaded/i);
  });
});

describe('Anthropic front door specifics', () => {
  it('passes a native Anthropic request through byte for byte, with the client’s beta header', async () => {
    const raw = `{"model":"claude-native","max_tokens":64,"messages":[{"role":"user","content":"hi"}],  "metadata":{"user_id":"u1"}}`;
    const res = await fetch(`${gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': gw.key, 'content-type': 'application/json', 'anthropic-beta': 'fancy-2025' },
      body: raw,
    });
    expect(res.status).toBe(200);
    const received = fake.requests.at(-1);
    expect(received?.body).toBe(raw);
    expect(received?.path).toBe('/v1/messages');
    expect(received?.headers['x-api-key']).toBe('an-key');
    expect(received?.headers['anthropic-version']).toBe('2023-06-01');
    expect(received?.headers['anthropic-beta']).toBe('fancy-2025');
  });

  it('maps DeepSeek reasoning_content to a thinking block', async () => {
    const chunk = (delta: object, finish: string | null = null) =>
      `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'deepseek-reasoner', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
    fake.enqueue({
      kind: 'raw-sse',
      body: `${chunk({ role: 'assistant', content: null, reasoning_content: '' })}${chunk({ reasoning_content: 'Think ' })}${chunk({ reasoning_content: 'hard.' })}${chunk({ content: 'Answer.' })}${chunk({}, 'stop')}data: [DONE]\n\n`,
    });
    const { message, thinking } = await streamed({
      model: 'deepseek-reasoner',
      max_tokens: 64,
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(thinking).toBe('Think hard.');
    expect(message.content.map((b) => b.type)).toEqual(['thinking', 'text']);
    expect(message.content[1]).toMatchObject({ text: 'Answer.' });
  });

  it('reports the stop sequence a vLLM upstream names in stop_reason, streamed and not', async () => {
    const request = {
      model: 'claude-sonnet-4-5',
      max_tokens: 64,
      stop_sequences: ['</answer>'],
      messages: [{ role: 'user' as const, content: 'hi' }],
    };
    const chunk = (delta: object, finish: string | null = null, stop: string | null = null) =>
      `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'deepseek-chat', choices: [{ index: 0, delta, finish_reason: finish, stop_reason: stop }] })}\n\n`;
    fake.enqueue({
      kind: 'raw-sse',
      body: `${chunk({ role: 'assistant', content: '<answer>42' })}${chunk({}, 'stop', '</answer>')}data: [DONE]\n\n`,
    });
    const { message } = await streamed(request);
    expect(message).toMatchObject({ stop_reason: 'stop_sequence', stop_sequence: '</answer>' });
    expect(lastBody().stop).toEqual(['</answer>']);

    fake.enqueue({
      kind: 'status',
      status: 200,
      body: {
        id: 'c2',
        object: 'chat.completion',
        created: 1,
        model: 'deepseek-chat',
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: '<answer>42' },
            finish_reason: 'stop',
            stop_reason: '</answer>',
          },
        ],
        usage: { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 },
      },
    });
    const created = await client.messages.create(request);
    expect(created).toMatchObject({ stop_reason: 'stop_sequence', stop_sequence: '</answer>' });
  });

  it('reads the usage Moonshot (Kimi) streams inside the last choice', async () => {
    const chunk = (choice: object) =>
      `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'deepseek-chat', choices: [{ index: 0, ...choice }] })}\n\n`;
    const usage = { prompt_tokens: 120, completion_tokens: 7, total_tokens: 127 };
    fake.enqueue({
      kind: 'raw-sse',
      body: `${chunk({ delta: { role: 'assistant', content: 'Hi' }, finish_reason: null })}${chunk({ delta: {}, finish_reason: 'stop', usage })}data: [DONE]\n\n`,
    });
    const { message } = await streamed({
      model: 'claude-sonnet-4-5',
      max_tokens: 64,
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(message.usage).toMatchObject({ input_tokens: 120, output_tokens: 7 });
  });

  it('answers a well-formed empty message when an OpenAI-format upstream streams nothing', async () => {
    fake.enqueue({ kind: 'raw-sse', body: 'data: [DONE]\n\n' });
    const { message } = await streamed({
      model: 'claude-sonnet-4-5',
      max_tokens: 64,
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(message).toMatchObject({ role: 'assistant', content: [], stop_reason: 'end_turn' });
  });

  it('keeps thinking and its signature from an Anthropic upstream', async () => {
    const { message, thinking } = await streamed({
      model: 'claude-native',
      max_tokens: 2048,
      thinking: { type: 'enabled', budget_tokens: 1024 },
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(thinking).toBe(FAKE_THINKING);
    expect(message.content[0]).toMatchObject({
      type: 'thinking',
      thinking: FAKE_THINKING,
      signature: FAKE_SIGNATURE,
    });
  });

  it('answers errors in the Anthropic shape', async () => {
    const bad = new Anthropic({ apiKey: 'sk-wrong', baseURL: gw.url, maxRetries: 0 });
    await expect(
      bad.messages.create({
        model: 'claude-native',
        max_tokens: 8,
        messages: [{ role: 'user', content: 'x' }],
      }),
    ).rejects.toMatchObject({
      status: 401,
      error: { type: 'error', error: { type: 'authentication_error' } },
    });
    const res = await fetch(`${gw.url}/v1/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${gw.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'no-such-model',
        max_tokens: 8,
        messages: [{ role: 'user', content: 'x' }],
      }),
    });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
  });

  it('counts tokens', async () => {
    const result = await client.messages.countTokens({
      model: 'claude-sonnet-4-5',
      system: 'You are terse.',
      messages: [{ role: 'user', content: 'How many tokens is this sentence?' }],
    });
    expect(result.input_tokens).toBeGreaterThan(8);
    expect(result.input_tokens).toBeLessThan(40);
  });

  // What a native Anthropic model accepts must be counted, not refused: Claude Code counts
  // conversations holding PDFs and web search results.
  const question = 'Summarise this document in three sentences, please.';
  it.each(['claude-native', 'claude-sonnet-4-5'])('counts a PDF document block (%s)', async (model) => {
    const alone = await client.messages.countTokens({
      model,
      messages: [{ role: 'user', content: question }],
    });
    const withPdf = await client.messages.countTokens({
      model,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: question },
            {
              type: 'document',
              source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0xLjQK' },
            },
          ],
        },
      ],
    });
    // The document counts for something; what exactly is an estimate.
    expect(withPdf.input_tokens).toBeGreaterThan(alone.input_tokens);
    expect(fake.requests).toHaveLength(0);
  });

  it('counts a conversation with a server tool and its results', async () => {
    const result = await client.messages.countTokens({
      model: 'claude-native',
      tools: [{ type: 'web_search_20250305', name: 'web_search', max_uses: 5 }],
      messages: [
        { role: 'user', content: 'What is the weather in Paris today?' },
        {
          role: 'assistant',
          content: [
            {
              type: 'server_tool_use',
              id: 'srvtoolu_1',
              name: 'web_search',
              input: { query: 'Paris weather today' },
            },
            {
              type: 'web_search_tool_result',
              tool_use_id: 'srvtoolu_1',
              content: [
                {
                  type: 'web_search_result',
                  url: 'https://example.com/paris',
                  title: 'Paris weather',
                  encrypted_content: 'abc',
                  page_age: null,
                },
              ],
            },
            { type: 'text', text: 'Sunny, 21 degrees.' },
          ],
        },
        { role: 'user', content: 'And tomorrow?' },
      ],
    });
    expect(result.input_tokens).toBeGreaterThan(20);
  });

  it('reports DeepSeek’s prompt cache hits as cache reads, to the client and in the usage record', async () => {
    // DeepSeek reports cache hits as prompt_cache_hit_tokens, not prompt_tokens_details.
    const chunk = (fields: object) =>
      `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'deepseek-chat', ...fields })}\n\n`;
    fake.enqueue({
      kind: 'raw-sse',
      body:
        chunk({
          choices: [{ index: 0, delta: { role: 'assistant', content: 'Hi.' }, finish_reason: null }],
        }) +
        chunk({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }) +
        chunk({
          choices: [],
          usage: {
            prompt_tokens: 1000,
            completion_tokens: 5,
            total_tokens: 1005,
            prompt_cache_hit_tokens: 900,
            prompt_cache_miss_tokens: 100,
          },
        }) +
        'data: [DONE]\n\n',
    });
    const message = await client.messages
      .stream(
        { model: 'claude-sonnet-4-5', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] },
        { headers: { 'x-request-id': 'deepseek-cache-hits' } },
      )
      .finalMessage();
    expect(message.usage).toMatchObject({
      input_tokens: 100,
      cache_read_input_tokens: 900,
      output_tokens: 5,
    });
    const record = await gw.logOf('deepseek-cache-hits');
    expect(record).toMatchObject({ prompt_tokens: 1000, cached_tokens: 900 });
  });

  it('records usage for the translated call', async () => {
    await client.messages.create(
      { model: 'claude-sonnet-4-5', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] },
      { headers: { 'x-request-id': 'anthropic-usage-1' } },
    );
    const record = await gw.logOf('anthropic-usage-1');
    expect(record).toMatchObject({
      status: 200,
      model_asked: 'claude-sonnet-4-5',
      model_served: 'deepseek-chat',
      channel: 'oa',
    });
    expect(record.prompt_tokens).toBeGreaterThanOrEqual(0);
  });
});
