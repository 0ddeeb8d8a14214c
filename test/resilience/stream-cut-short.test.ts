import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import type { ResponseStreamEvent } from 'openai/resources/responses/responses';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';
import { postJson, sseData, waitFor } from '../support/http.js';
import {
  anthropicChannel,
  channel,
  geminiChannel,
  startTestGateway,
  type TestGateway,
} from '../support/start-gateway.js';

/**
 * An upstream stream that closes cleanly part-way (a proxy's time-out, a load balancer
 * recycling the connection) without its own end: no finish_reason / [DONE], no message_delta /
 * message_stop, no finishReason. A translated answer must not present the cut answer as
 * complete, and its record must say the stream broke.
 */
let fake: FakeUpstream;
let gw: TestGateway;
let client: OpenAI;
beforeAll(async () => {
  fake = await startFakeUpstream();
  gw = await startTestGateway({
    routing: { max_attempts: 1 },
    channels: [
      channel({ name: 'chat', base_url: fake.baseUrl, keys: ['dc-key'], models: ['deepseek-chat'] }),
      anthropicChannel(fake.url, ['claude-native']),
      geminiChannel(fake.url, ['gemini-2.5-flash']),
    ],
  });
  client = new OpenAI({ apiKey: gw.key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
});
afterAll(async () => {
  await gw?.close();
  await fake?.close();
});
beforeEach(() => fake.reset());

const chunk = { id: 'c', created: 1, model: 'deepseek-chat', object: 'chat.completion.chunk' };
const chatEvent = (delta: object, finish: string | null = null) =>
  `data: ${JSON.stringify({ ...chunk, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
const CUT_CHAT = chatEvent({ role: 'assistant', content: 'The answer is' });
const anthropicEvent = (type: string, data: object) =>
  `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
const CUT_ANTHROPIC =
  anthropicEvent('message_start', {
    message: {
      id: 'm',
      type: 'message',
      role: 'assistant',
      model: 'claude-native',
      content: [],
      stop_reason: null,
      usage: { input_tokens: 5, output_tokens: 1 },
    },
  }) +
  anthropicEvent('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }) +
  anthropicEvent('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'The answer is' } });
const CUT_GEMINI = `data: ${JSON.stringify({
  candidates: [{ content: { role: 'model', parts: [{ text: 'The answer is' }] } }],
  responseId: 'r1',
})}\r\n\r\n`;

async function recordAfter(before: number) {
  return waitFor(() => gw.usage[before], 'the usage record');
}

describe.each([
  ['an OpenAI-format chat', 'deepseek-chat', CUT_CHAT],
  ['an Anthropic', 'claude-native', CUT_ANTHROPIC],
  ['a Gemini', 'gemini-2.5-flash', CUT_GEMINI],
])('%s upstream stream cut off without its end', (_, model, body) => {
  it('reaches a Responses client as response.failed, recorded as a broken stream', async () => {
    fake.enqueue({ kind: 'raw-sse', body });
    const before = gw.usage.length;
    const stream = await client.responses.create({ model, input: 'x', stream: true });
    const events: ResponseStreamEvent[] = [];
    for await (const event of stream) events.push(event);
    expect(events.at(-1)?.type).toBe('response.failed');
    expect(await recordAfter(before)).toMatchObject({ status: 502, errorCode: 'upstream_stream_error' });
  });
});

it('an Anthropic stream cut short reaches an OpenAI chat client with an error event, no [DONE]', async () => {
  fake.enqueue({ kind: 'raw-sse', body: CUT_ANTHROPIC });
  const before = gw.usage.length;
  const res = await postJson(gw, '/v1/chat/completions', {
    model: 'claude-native',
    messages: [{ role: 'user', content: 'x' }],
    stream: true,
  });
  const data = sseData(await res.text());
  expect(data).not.toContain('[DONE]');
  expect(JSON.parse(data.at(-1) ?? '{}')).toMatchObject({ error: { code: 'upstream_stream_error' } });
  expect(await recordAfter(before)).toMatchObject({ status: 502, errorCode: 'upstream_stream_error' });
});

it('an OpenAI-format stream that ends with its finish_reason but no [DONE] is complete', async () => {
  fake.enqueue({
    kind: 'raw-sse',
    body: chatEvent({ role: 'assistant', content: 'Done.' }) + chatEvent({}, 'stop'),
  });
  const before = gw.usage.length;
  const stream = await client.responses.create({ model: 'deepseek-chat', input: 'x', stream: true });
  const events: ResponseStreamEvent[] = [];
  for await (const event of stream) events.push(event);
  expect(events.at(-1)?.type).toBe('response.completed');
  expect(await recordAfter(before)).toMatchObject({ status: 200, errorCode: null });
});

// A cut falls anywhere, often inside an event. The gateway's error event was appended right
// after the upstream's unfinished one, so the client's SSE parser read both as one event: the
// openai SDK threw a JSON SyntaxError, the Anthropic SDK a parse error, instead of the API error
// that says the stream broke. An event the upstream never finished is not an event (an SSE
// client drops it at the end of the stream); the error event goes out on its own.
describe('a relayed stream cut off inside an event', () => {
  const halfEvent = 'data: {"id":"c","object":"chat.comple';
  it.each([
    ['with no line end', halfEvent],
    ['after a whole data line', chatEvent({ content: ' forty' }).trimEnd() + '\n'],
  ])('reaches the openai client as an APIError after the whole events (%s)', async (_, tail) => {
    fake.enqueue({ kind: 'raw-sse', body: CUT_CHAT + tail });
    const before = gw.usage.length;
    const stream = await client.chat.completions.create({
      model: 'deepseek-chat',
      messages: [{ role: 'user', content: 'x' }],
      stream: true,
    });
    let text = '';
    const failure = await (async () => {
      for await (const part of stream) text += part.choices[0]?.delta.content ?? '';
    })().then(
      () => null,
      (err: unknown) => err,
    );
    expect(text).toBe('The answer is');
    expect(failure).toBeInstanceOf(OpenAI.APIError);
    expect((failure as InstanceType<typeof OpenAI.APIError>).code).toBe('upstream_stream_error');
    expect(await recordAfter(before)).toMatchObject({ status: 502, errorCode: 'upstream_stream_error' });
  });

  it('reaches the Anthropic client as an APIError', async () => {
    fake.enqueue({
      kind: 'raw-sse',
      body: `${CUT_ANTHROPIC}event: content_block_delta\ndata: {"type":"cont`,
    });
    const before = gw.usage.length;
    const anthropic = new Anthropic({ apiKey: gw.key, baseURL: gw.url, maxRetries: 0 });
    const stream = anthropic.messages.stream({
      model: 'claude-native',
      max_tokens: 64,
      messages: [{ role: 'user', content: 'x' }],
    });
    const failure = await stream.finalMessage().then(
      () => null,
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(Anthropic.APIError);
    expect(String((failure as Error).message)).toContain('upstream stream failed');
    expect(await recordAfter(before)).toMatchObject({ status: 502, errorCode: 'upstream_stream_error' });
  });
});
