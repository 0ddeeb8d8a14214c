/**
 * Requests translated for a Gemini channel that Gemini refuses with a 400 when sent as the client
 * wrote them, and a failed Gemini tool call that reached the client as an empty answer (rules from
 * ai.google.dev: "Gemini thinking", GenerateContent's GenerationConfig and FinishReason).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';
import { channel, startTestGateway, type TestGateway } from '../support/start-gateway.js';

let fake: FakeUpstream;
let gw: TestGateway;
beforeAll(async () => {
  fake = await startFakeUpstream();
  gw = await startTestGateway({
    channels: [
      channel({
        name: 'gm',
        provider: 'gemini',
        base_url: `${fake.url}/v1beta`,
        keys: ['gm-key'],
        models: ['gemini-2.5-flash', 'gemini-2.5-pro'],
      }),
    ],
  });
});
afterAll(async () => {
  await gw?.close();
  await fake?.close();
});
beforeEach(() => fake.reset());

const post = (path: string, body: unknown) =>
  fetch(`${gw.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${gw.key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
// biome-ignore lint/suspicious/noExplicitAny: test inspection of upstream bodies
const sent = () => fake.requests.at(-1)?.json as Record<string, any>;
const texts = () =>
  (sent().contents as { parts: { text?: string }[] }[]).flatMap((c) => c.parts.map((p) => p.text));

describe('thinking budgets', () => {
  // Claude Code's thinking budget; Gemini answers 400 "thinking_budget is out of range".
  it("a budget past the model's range is brought into it (Flash 24,576, Pro 32,768)", async () => {
    for (const [model, most] of [
      ['gemini-2.5-flash', 24_576],
      ['gemini-2.5-pro', 32_768],
    ] as const) {
      const res = await post('/v1/messages', {
        model,
        max_tokens: 64_000,
        thinking: { type: 'enabled', budget_tokens: 63_999 },
        messages: [{ role: 'user', content: 'hi' }],
      });
      expect(res.status).toBe(200);
      expect(sent().generationConfig.thinkingConfig.thinkingBudget).toBe(most);
    }
  });
});

describe('empty text', () => {
  it('an empty user message is left out', async () => {
    const res = await post('/v1/chat/completions', {
      model: 'gemini-2.5-flash',
      messages: [
        { role: 'user', content: 'first' },
        { role: 'assistant', content: 'ok' },
        { role: 'user', content: '' },
      ],
    });
    expect(res.status).toBe(200);
    expect(texts()).toEqual(['first', 'ok']);
  });

  it('an empty system message sends no systemInstruction', async () => {
    await post('/v1/chat/completions', {
      model: 'gemini-2.5-flash',
      messages: [
        { role: 'system', content: '' },
        { role: 'user', content: 'hi' },
      ],
    });
    expect(sent()).not.toHaveProperty('systemInstruction');
  });

  it('an empty text block beside a tool result is left out', async () => {
    await post('/v1/messages', {
      model: 'gemini-2.5-flash',
      max_tokens: 1000,
      tools: [{ name: 'get', input_schema: { type: 'object', properties: {} } }],
      messages: [
        { role: 'user', content: 'go' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'tu1', name: 'get', input: {} }] },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'tu1', content: 'done' },
            { type: 'text', text: '' },
          ],
        },
      ],
    });
    const last = sent().contents.at(-1);
    expect(last.parts).toHaveLength(1);
    expect(last.parts[0].functionResponse.name).toBe('get');
  });
});

describe('stop sequences', () => {
  // GenerationConfig stopSequences: "up to 5". Refused for this channel, as `n` is: another
  // channel of the model may take them.
  it('more than 5 are refused with 400 untranslatable_request, not sent', async () => {
    const res = await post('/v1/messages', {
      model: 'gemini-2.5-flash',
      max_tokens: 1000,
      stop_sequences: ['a1', 'a2', 'a3', 'a4', 'a5', 'a6'],
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(res.status).toBe(400);
    expect((await res.json()).error.type).toBe('invalid_request_error');
    expect(fake.requests).toHaveLength(0);
  });
});

describe('a tool call Gemini could not make', () => {
  const malformed = {
    candidates: [
      {
        content: { role: 'model', parts: [] },
        finishReason: 'MALFORMED_FUNCTION_CALL',
        finishMessage: 'Malformed function call: get(',
        index: 0,
      },
    ],
    usageMetadata: { promptTokenCount: 5, totalTokenCount: 5 },
    modelVersion: 'gemini-2.5-flash',
    responseId: 'r1',
  };
  const ask = (stream: boolean) =>
    post('/v1/chat/completions', {
      model: 'gemini-2.5-flash',
      stream,
      messages: [{ role: 'user', content: 'call it' }],
      tools: [{ type: 'function', function: { name: 'get', parameters: { type: 'object' } } }],
    });

  it('is a 502 with its reason, not an empty answer that ends the tool loop', async () => {
    fake.enqueue({ kind: 'status', status: 200, body: malformed });
    const res = await ask(false);
    expect(res.status).toBe(502);
    expect((await res.json()).error.message).toContain('MALFORMED_FUNCTION_CALL');
  });

  it('streamed, it ends the stream with an error', async () => {
    fake.enqueue({ kind: 'raw-sse', body: `data: ${JSON.stringify(malformed)}\n\n` });
    const res = await ask(true);
    const body = await res.text();
    expect(body).toContain('MALFORMED_FUNCTION_CALL');
    expect(body).not.toContain('"finish_reason":"stop"');
  });
});
