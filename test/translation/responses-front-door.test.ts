import OpenAI from 'openai';
import type { ResponseInputItem, ResponseStreamEvent } from 'openai/resources/responses/responses';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FAKE_TOOL_ARGUMENTS } from '../fake-upstream/openai-format.js';
import type { FakeUpstream } from '../fake-upstream/server.js';
import type { TestGateway } from '../support/start-gateway.js';
import { startTranslationRig, WEATHER_TOOL } from './setup.js';

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

const tool = { type: 'function', strict: false, ...WEATHER_TOOL } as const;
const upstreamBodies = () => fake.requests.map((r) => r.json as Record<string, unknown>);
const lastBody = () => upstreamBodies().at(-1) ?? {};

const UPSTREAMS = [
  { family: 'OpenAI-format chat', model: 'deepseek-chat', path: '/v1/chat/completions' },
  { family: 'Anthropic', model: 'claude-native', path: '/v1/messages' },
  { family: 'Gemini', model: 'gemini-2.5-flash', path: ':generateContent' },
] as const;

describe.each(UPSTREAMS)('OpenAI SDK responses → Switchboard → $family upstream', ({ model, path }) => {
  it('answers JSON with output text, usage and the request echoed', async () => {
    const response = await client.responses.create({
      model,
      instructions: 'You are terse.',
      input: 'Weather?',
      max_output_tokens: 200,
      temperature: 0.5,
      metadata: { ticket: 'T-1' },
    });
    expect(response.id).toMatch(/^resp_/);
    expect(response.status).toBe('completed');
    expect(response.output_text).toBe(`fake answer from ${model}`);
    expect(response.metadata).toEqual({ ticket: 'T-1' });
    expect(response.usage?.input_tokens).toBeGreaterThan(0);
    expect(response.usage?.total_tokens).toBe(
      (response.usage?.input_tokens ?? 0) + (response.usage?.output_tokens ?? 0),
    );
    expect(fake.requests.at(-1)?.path).toContain(path);
    const sent = JSON.stringify(lastBody());
    expect(sent).toContain('You are terse.');
    expect(sent).toContain('Weather?');
    expect(sent).toMatch(/"max_tokens":200|"maxOutputTokens":200/);
    const record = gw.usage.at(-1);
    expect(record?.operation).toBe('chat');
    expect(record?.usage?.promptTokens).toBe(response.usage?.input_tokens);
  });

  it('streams events numbered from 0 whose deltas make the final text', async () => {
    const stream = await client.responses.create({ model, input: 'Hello', stream: true });
    const events: ResponseStreamEvent[] = [];
    for await (const event of stream) events.push(event);
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    const types = events.map((e) => e.type);
    expect(types.slice(0, 2)).toEqual(['response.created', 'response.in_progress']);
    expect(types).toContain('response.output_item.added');
    expect(types).toContain('response.content_part.added');
    expect(types).toContain('response.output_text.done');
    expect(types).toContain('response.content_part.done');
    expect(types).toContain('response.output_item.done');
    expect(types.at(-1)).toBe('response.completed');
    const text = events.flatMap((e) => (e.type === 'response.output_text.delta' ? [e.delta] : [])).join('');
    expect(text).toBe(`fake answer from ${model}`);
    const done = events.at(-1);
    if (done?.type !== 'response.completed') throw new Error('no response.completed');
    expect(done.response.output_text ?? done.response.output).toBeTruthy();
    expect(done.response.usage?.output_tokens).toBeGreaterThan(0);
    expect(lastBody().stream ?? lastBody().contents).toBeTruthy();
  });

  it('runs a function tool round trip: function_call → function_call_output → final answer', async () => {
    const first = await client.responses.create({ model, input: 'Weather in Paris?', tools: [tool] });
    const call = first.output.find((item) => item.type === 'function_call');
    if (call?.type !== 'function_call') throw new Error('no function_call item');
    expect(call.name).toBe('get_weather');
    expect(JSON.parse(call.arguments)).toEqual(JSON.parse(FAKE_TOOL_ARGUMENTS));
    expect(JSON.stringify(lastBody())).toContain('get_weather');

    const input: ResponseInputItem[] = [
      { role: 'user', content: 'Weather in Paris?' },
      call,
      { type: 'function_call_output', call_id: call.call_id, output: '{"temp":21}' },
    ];
    const second = await client.responses.create({ model, input, tools: [tool] });
    expect(second.output_text).toBe(`fake answer from ${model}`);
    const sent = JSON.stringify(lastBody());
    // Gemini pairs a call with its result by the function's name, the others by the call id.
    expect(sent).toContain(path.includes('generateContent') ? '"name":"get_weather"' : call.call_id);
    expect(sent).toContain('temp');
    expect(sent).toMatch(/tool_call_id|tool_result|functionResponse/);
  });

  it('streams a tool call as function_call_arguments events', async () => {
    const stream = await client.responses.create({ model, input: 'Weather?', tools: [tool], stream: true });
    let args = '';
    let done: string | null = null;
    for await (const event of stream) {
      if (event.type === 'response.function_call_arguments.delta') args += event.delta;
      if (event.type === 'response.function_call_arguments.done') done = event.arguments;
    }
    expect(args).toBe(FAKE_TOOL_ARGUMENTS);
    expect(done).toBe(FAKE_TOOL_ARGUMENTS);
  });

  it('continues a conversation with previous_response_id across two turns', async () => {
    const first = await client.responses.create({ model, input: 'My name is Ada.' });
    const second = await client.responses.create({
      model,
      input: 'What is my name?',
      previous_response_id: first.id,
    });
    expect(second.previous_response_id).toBe(first.id);
    const sent = JSON.stringify(lastBody());
    // The stored turn (the user's words and the answer) goes upstream before the new input.
    expect(sent.indexOf('My name is Ada.')).toBeGreaterThan(-1);
    expect(sent.indexOf(`fake answer from ${model}`)).toBeGreaterThan(sent.indexOf('My name is Ada.'));
    expect(sent.indexOf('What is my name?')).toBeGreaterThan(sent.indexOf(`fake answer from ${model}`));
    expect(sent).not.toContain('previous_response_id');

    const items = await client.responses.inputItems.list(second.id, { order: 'asc' });
    const texts = JSON.stringify(items.data);
    expect(texts).toContain('My name is Ada.');
    expect(texts).toContain('What is my name?');
  });
});
