/**
 * What a translated request may combine on an Anthropic channel: thinking, sampling, a forced tool
 * call and the output cap. Each case below was sent as the client wrote it, and Anthropic answers
 * every one of them with a 400 (docs.claude.com, "Extended thinking", feature compatibility;
 * "Migrating to Claude 4.5"); the fake upstream records the body.
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
        name: 'an',
        provider: 'anthropic',
        base_url: `${fake.url}/v1`,
        keys: ['an-key'],
        models: [
          'claude-sonnet-4-5',
          'claude-3-7-sonnet-20250219',
          'claude-opus-4-1-20250805',
          'claude-opus-4-20250514',
          'claude-3-haiku-20240307',
        ],
        max_output_tokens: { 'claude-opus-4-1-20250805': 16000 },
      }),
      // Another vendor's model behind an Anthropic-compatible endpoint: Claude's rules are not its.
      channel({
        name: 'glm',
        provider: 'anthropic',
        base_url: `${fake.url}/v1`,
        keys: ['glm-key'],
        models: ['glm-4.6'],
      }),
    ],
  });
});
afterAll(async () => {
  await gw?.close();
  await fake?.close();
});
beforeEach(() => fake.reset());

const post = async (path: string, body: unknown) => {
  const res = await fetch(`${gw.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${gw.key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  await res.text();
  return res.status;
};
// biome-ignore lint/suspicious/noExplicitAny: test inspection of upstream bodies
const sent = () => fake.requests.at(-1)?.json as Record<string, any>;
const hi = [{ role: 'user', parts: [{ text: 'hi' }] }];

describe('thinking with sampling parameters', () => {
  // Gemini CLI's `chat-base` settings, which it uses for any model name it does not know.
  it("Gemini CLI's default settings: no top_k, and temperature or top_p, with thinking on", async () => {
    const status = await post('/v1beta/models/claude-sonnet-4-5:streamGenerateContent?alt=sse', {
      contents: hi,
      generationConfig: { temperature: 1, topP: 0.95, topK: 64, thinkingConfig: { includeThoughts: true } },
    });
    expect(status).toBe(200);
    expect(sent().thinking?.type).toBe('enabled');
    expect(sent()).not.toHaveProperty('top_k');
    expect(sent()).not.toHaveProperty('temperature');
    expect(sent().top_p).toBe(0.95);
  });

  it('a temperature other than 1 is left out with thinking on, and a low top_p raised to 0.95', async () => {
    const status = await post('/v1/chat/completions', {
      model: 'claude-3-7-sonnet-20250219',
      messages: [{ role: 'user', content: 'hi' }],
      reasoning_effort: 'low',
      temperature: 0.2,
      top_p: 0.5,
    });
    expect(status).toBe(200);
    expect(sent().thinking).toEqual({ type: 'enabled', budget_tokens: 2048 });
    expect(sent()).not.toHaveProperty('temperature');
    expect(sent().top_p).toBe(0.95);
  });

  it('without thinking, an older Claude gets temperature, top_p and top_k as sent', async () => {
    const status = await post('/v1beta/models/claude-3-7-sonnet-20250219:generateContent', {
      contents: hi,
      generationConfig: { temperature: 0.3, topP: 0.8, topK: 40 },
    });
    expect(status).toBe(200);
    expect(sent()).toMatchObject({ temperature: 0.3, top_p: 0.8, top_k: 40 });
    expect(sent()).not.toHaveProperty('thinking');
  });

  it('GLM behind an Anthropic-compatible endpoint keeps its sampling beside thinking', async () => {
    await post('/v1/chat/completions', {
      model: 'glm-4.6',
      messages: [{ role: 'user', content: 'hi' }],
      reasoning_effort: 'low',
      temperature: 0.6,
      top_p: 0.8,
    });
    expect(sent()).toMatchObject({ temperature: 0.6, top_p: 0.8, thinking: { type: 'enabled' } });
  });

  it('Opus 4.1 gets temperature or top_p, not both', async () => {
    await post('/v1/chat/completions', {
      model: 'claude-opus-4-1-20250805',
      messages: [{ role: 'user', content: 'hi' }],
      temperature: 0.5,
      top_p: 0.9,
    });
    expect(sent().temperature).toBe(0.5);
    expect(sent()).not.toHaveProperty('top_p');
  });

  it('Claude 4.5 gets temperature or top_p, not both: the one at its default is left out, else top_p', async () => {
    await post('/v1/chat/completions', {
      model: 'claude-sonnet-4-5',
      messages: [{ role: 'user', content: 'hi' }],
      temperature: 0.3,
      top_p: 0.8,
    });
    expect(sent().temperature).toBe(0.3);
    expect(sent()).not.toHaveProperty('top_p');
    await post('/v1/chat/completions', {
      model: 'claude-sonnet-4-5',
      messages: [{ role: 'user', content: 'hi' }],
      temperature: 1,
      top_p: 0.8,
    });
    expect(sent()).not.toHaveProperty('temperature');
    expect(sent().top_p).toBe(0.8);
  });
});

describe('thinking with a forced tool call', () => {
  const tool = { name: 'read_file', parametersJsonSchema: { type: 'object', properties: {} } };

  it('Gemini mode ANY with a thinking budget: the forced call, without thinking', async () => {
    const status = await post('/v1beta/models/claude-sonnet-4-5:generateContent', {
      contents: hi,
      tools: [{ functionDeclarations: [tool] }],
      toolConfig: { functionCallingConfig: { mode: 'ANY' } },
      generationConfig: { thinkingConfig: { thinkingBudget: 2048 } },
    });
    expect(status).toBe(200);
    expect(sent().tool_choice).toEqual({ type: 'any' });
    expect(sent()).not.toHaveProperty('thinking');
  });

  it('Responses tool_choice required with reasoning effort: the forced call, without thinking', async () => {
    const status = await post('/v1/responses', {
      model: 'claude-sonnet-4-5',
      input: 'hi',
      reasoning: { effort: 'medium' },
      tool_choice: { type: 'function', name: 'f' },
      tools: [{ type: 'function', name: 'f', parameters: { type: 'object', properties: {} } }],
    });
    expect(status).toBe(200);
    expect(sent().tool_choice).toEqual({ type: 'tool', name: 'f' });
    expect(sent()).not.toHaveProperty('thinking');
    // Nor the room a thinking budget would have needed.
    expect(sent().max_tokens).toBe(8192);
  });

  it('GLM keeps its thinking with a forced tool call', async () => {
    await post('/v1/chat/completions', {
      model: 'glm-4.6',
      messages: [{ role: 'user', content: 'hi' }],
      reasoning_effort: 'low',
      tool_choice: 'required',
      tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }],
    });
    expect(sent().thinking).toEqual({ type: 'enabled', budget_tokens: 2048 });
  });

  it('tool_choice auto keeps the thinking', async () => {
    await post('/v1/chat/completions', {
      model: 'claude-sonnet-4-5',
      messages: [{ role: 'user', content: 'hi' }],
      reasoning_effort: 'low',
      tool_choice: 'auto',
      tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }],
    });
    expect(sent().thinking).toEqual({ type: 'enabled', budget_tokens: 2048 });
  });
});

describe("the client's output cap counts the thinking", () => {
  it('Responses max_output_tokens 4000 with effort high: max_tokens 4000, the budget half of it', async () => {
    const status = await post('/v1/responses', {
      model: 'claude-sonnet-4-5',
      input: 'hi',
      max_output_tokens: 4000,
      reasoning: { effort: 'high' },
    });
    expect(status).toBe(200);
    expect(sent().max_tokens).toBe(4000);
    expect(sent().thinking).toEqual({ type: 'enabled', budget_tokens: 2000 });
  });

  it('a cap too small for the smallest budget (1024) gets no thinking', async () => {
    await post('/v1/chat/completions', {
      model: 'claude-sonnet-4-5',
      messages: [{ role: 'user', content: 'hi' }],
      max_completion_tokens: 1000,
      reasoning_effort: 'medium',
    });
    expect(sent().max_tokens).toBe(1000);
    expect(sent()).not.toHaveProperty('thinking');
  });

  it('without a cap, max_tokens leaves room for the answer beside the budget', async () => {
    await post('/v1/chat/completions', {
      model: 'claude-sonnet-4-5',
      messages: [{ role: 'user', content: 'hi' }],
      reasoning_effort: 'medium',
    });
    expect(sent().thinking).toEqual({ type: 'enabled', budget_tokens: 8192 });
    expect(sent().max_tokens).toBe(8192 + 8192);
  });

  it("without a cap of the client's, max_tokens stays within the model's output limit", async () => {
    await post('/v1/responses', {
      model: 'claude-opus-4-1-20250805',
      input: 'hi',
      reasoning: { effort: 'high' },
    });
    expect(sent().max_tokens).toBe(16000);
    expect(sent().thinking).toEqual({ type: 'enabled', budget_tokens: 8000 });
  });

  it('a budget of 0 is no thinking', async () => {
    await post('/v1/chat/completions', {
      model: 'claude-sonnet-4-5',
      messages: [{ role: 'user', content: 'hi' }],
      thinking: { type: 'enabled', budget_tokens: 0 },
    });
    expect(sent()).not.toHaveProperty('thinking');
    expect(sent().max_tokens).toBe(8192);
  });

  it("a budget under Anthropic's 1024 is raised to it only when the cap leaves as much for the answer", async () => {
    const ask = (maxOutputTokens: number) =>
      post('/v1beta/models/claude-sonnet-4-5:generateContent', {
        contents: hi,
        generationConfig: { maxOutputTokens, thinkingConfig: { thinkingBudget: 500 } },
      });
    await ask(1100);
    expect(sent()).not.toHaveProperty('thinking');
    await ask(4000);
    expect(sent().thinking).toEqual({ type: 'enabled', budget_tokens: 1024 });
    expect(sent().max_tokens).toBe(4000);
  });

  // Opus 4 and 4.1 give at most 32,000 tokens: effort high (24,576) plus room for the answer asked
  // for 32,768, a 400; Claude 3 Haiku gives 4,096, under the 8,192 sent without a cap.
  it('the built-in output limits of Claude models hold without a channel setting', async () => {
    await post('/v1/responses', {
      model: 'claude-opus-4-20250514',
      input: 'hi',
      reasoning: { effort: 'high' },
    });
    expect(sent().max_tokens).toBe(32000);
    expect(sent().thinking).toEqual({ type: 'enabled', budget_tokens: 24576 });
    await post('/v1/chat/completions', {
      model: 'claude-3-haiku-20240307',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(sent().max_tokens).toBe(4096);
  });
});
