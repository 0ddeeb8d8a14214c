import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type AdminGateway, startAdminGateway } from '../admin/admin-helpers.js';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';
import { postJson } from '../support/http.js';
import { channel } from '../support/start-gateway.js';

let fake: FakeUpstream;
let gw: AdminGateway;

beforeAll(async () => {
  fake = await startFakeUpstream();
  gw = await startAdminGateway({
    channels: [
      channel({
        name: 'deepseek',
        provider: 'deepseek',
        base_url: fake.baseUrl,
        keys: ['ds-key'],
        models: ['deepseek-chat', 'deepseek-reasoner', 'claude-opus-4-5'],
        model_map: { 'claude-opus-4-5': 'deepseek-chat' },
      }),
      channel({
        name: 'capped',
        base_url: fake.baseUrl,
        keys: ['cap-key'],
        models: [
          'small-model',
          'gpt-4o',
          'gpt-5-mini',
          'routed',
          'openai/gpt-4.1',
          'gpt-5-chat-latest',
          'my-vllm-model',
        ],
        model_map: { routed: 'deepseek/deepseek-chat' },
        max_output_tokens: { 'small-*': 1000, 'gpt-4o': 50_000 },
      }),
      channel({
        name: 'claude',
        provider: 'anthropic',
        base_url: fake.baseUrl,
        keys: ['an-key'],
        models: ['claude-tiny'],
        max_output_tokens: { '*': 2048 },
      }),
      channel({
        name: 'gemini',
        provider: 'gemini',
        base_url: `${fake.url}/v1beta`,
        keys: ['gm-key'],
        models: ['gemini-2.0-flash', 'gemini-2.5-flash'],
      }),
    ],
  });
});
afterAll(async () => {
  await gw?.close();
  await fake?.close();
});
beforeEach(() => fake.reset());

const upstreamBody = () => fake.requests.at(-1)?.json as Record<string, unknown>;
const hello = [{ role: 'user', content: 'hi' }];

describe('output-token limits: requests asking for more than a model can give are clamped', () => {
  it('Claude Code’s max_tokens 128000 reaches deepseek-chat (translated) as 8192', async () => {
    const res = await postJson(gw, '/v1/messages', {
      model: 'claude-opus-4-5',
      max_tokens: 128_000,
      messages: hello,
    });
    expect(res.status).toBe(200);
    expect(upstreamBody()).toMatchObject({ model: 'deepseek-chat', max_tokens: 8_192 });
  });

  it('a same-format body above the cap is re-encoded; one within it goes byte for byte', async () => {
    const big = await postJson(gw, '/v1/chat/completions', {
      model: 'deepseek-reasoner',
      max_completion_tokens: 200_000,
      messages: hello,
    });
    expect(big.status).toBe(200);
    expect(upstreamBody().max_completion_tokens).toBe(65_536);

    const text = '{"model":"deepseek-chat","max_tokens":100,  "messages":[{"role":"user","content":"hi"}]}';
    const small = await postJson(gw, '/v1/chat/completions', text);
    expect(small.status).toBe(200);
    expect(fake.requests.at(-1)?.body).toBe(text);
  });

  it('a channel’s own max_output_tokens wins over the built-in table, by exact name or glob', async () => {
    await postJson(gw, '/v1/chat/completions', { model: 'gpt-4o', max_tokens: 100_000, messages: hello });
    expect(upstreamBody().max_tokens).toBe(50_000);
    await postJson(gw, '/v1/chat/completions', { model: 'small-model', max_tokens: 4_000, messages: hello });
    expect(upstreamBody().max_tokens).toBe(1_000);
  });

  it('the built-in table knows a model behind a vendor prefix (OpenRouter-style names)', async () => {
    await postJson(gw, '/v1/chat/completions', { model: 'routed', max_tokens: 100_000, messages: hello });
    expect(upstreamBody()).toMatchObject({ model: 'deepseek/deepseek-chat', max_tokens: 8_192 });
  });

  it('the Responses API door clamps max_output_tokens too (translated to chat for this channel)', async () => {
    await postJson(gw, '/v1/responses', { model: 'small-model', max_output_tokens: 9_999, input: 'hi' });
    expect(fake.requests.at(-1)?.path).toBe('/v1/chat/completions');
    expect(upstreamBody().max_tokens).toBe(1_000);
  });

  it('an Anthropic upstream (same format) and a Gemini upstream (translated) are clamped as well', async () => {
    await postJson(gw, '/v1/messages', { model: 'claude-tiny', max_tokens: 64_000, messages: hello });
    expect(upstreamBody().max_tokens).toBe(2_048);
    await postJson(gw, '/v1/chat/completions', {
      model: 'gemini-2.0-flash',
      max_tokens: 64_000,
      messages: hello,
    });
    expect((upstreamBody().generationConfig as Record<string, unknown>).maxOutputTokens).toBe(8_192);
  });

  it('a same-format Anthropic body clamped below its thinking budget gets the budget lowered too', async () => {
    await postJson(gw, '/v1/messages', {
      model: 'claude-tiny',
      max_tokens: 32_000,
      thinking: { type: 'enabled', budget_tokens: 20_000 },
      messages: hello,
    });
    // Anthropic refuses max_tokens at or under thinking.budget_tokens.
    expect(upstreamBody()).toMatchObject({
      max_tokens: 2_048,
      thinking: { type: 'enabled', budget_tokens: 1_024 },
    });
  });

  it('the admin API sets, shows and changes a channel’s max_output_tokens', async () => {
    const created = await gw.adminJson('POST', '/channels', {
      name: 'api-made',
      provider: 'openai-compatible',
      base_url: fake.baseUrl,
      keys: ['api-key'],
      models: ['api-model'],
      max_output_tokens: { 'api-model': 300 },
    });
    expect(created.max_output_tokens).toEqual({ 'api-model': 300 });
    await postJson(gw, '/v1/chat/completions', { model: 'api-model', max_tokens: 5_000, messages: hello });
    expect(upstreamBody().max_tokens).toBe(300);

    const patched = await gw.adminJson('PATCH', '/channels/api-made', { max_output_tokens: { '*': 700 } });
    expect(patched.max_output_tokens).toEqual({ '*': 700 });
    await postJson(gw, '/v1/chat/completions', { model: 'api-model', max_tokens: 5_000, messages: hello });
    expect(upstreamBody().max_tokens).toBe(700);

    const bad = await gw.admin('PATCH', '/channels/api-made', { max_output_tokens: { x: 0 } });
    expect(bad.status).toBe(400);
  });
});

/** What Claude Code 2.1 sends besides the conversation. */
const claudeCodeFields = {
  max_tokens: 1_000,
  thinking: { type: 'adaptive', display: 'omitted' },
  output_config: { effort: 'medium' },
  context_management: { edits: [{ type: 'clear_thinking_20251015', keep: 'all' }] },
  messages: hello,
};

describe('thinking and effort from an Anthropic client, mapped to what each upstream takes', () => {
  it('adaptive thinking turns on the thinking switch of a preset that has one, without reasoning_effort', async () => {
    const res = await postJson(gw, '/v1/messages', { model: 'claude-opus-4-5', ...claudeCodeFields });
    expect(res.status).toBe(200);
    const body = upstreamBody();
    expect(body.thinking).toEqual({ type: 'enabled' });
    expect(body).not.toHaveProperty('reasoning_effort');
    expect(body).not.toHaveProperty('output_config');
    expect(body).not.toHaveProperty('context_management');
  });

  it('thinking disabled turns the switch off', async () => {
    await postJson(gw, '/v1/messages', {
      model: 'claude-opus-4-5',
      max_tokens: 100,
      thinking: { type: 'disabled' },
      messages: hello,
    });
    expect(upstreamBody().thinking).toEqual({ type: 'disabled' });
  });

  it('output_config.effort becomes reasoning_effort for a model that takes it, and nothing for one that does not', async () => {
    await postJson(gw, '/v1/messages', { model: 'gpt-5-mini', ...claudeCodeFields });
    expect(upstreamBody()).toMatchObject({ reasoning_effort: 'medium' });
    expect(upstreamBody()).not.toHaveProperty('thinking');
    for (const model of ['gpt-4o', 'gpt-5-chat-latest']) {
      await postJson(gw, '/v1/messages', { model, ...claudeCodeFields });
      expect(upstreamBody()).not.toHaveProperty('reasoning_effort');
      expect(upstreamBody()).not.toHaveProperty('thinking');
    }
  });

  // Claude Code sends a budget; OpenAI answers 400 "Unsupported parameter: 'reasoning_effort'"
  // for gpt-4o, gpt-4.1 and gpt-5-chat, so a Claude name aliased to one of them failed every turn.
  const budgeted = (model: string) =>
    postJson(gw, '/v1/messages', {
      model,
      max_tokens: 16_000,
      thinking: { type: 'enabled', budget_tokens: 10_000 },
      messages: hello,
    });

  it('explicit thinking with a budget reaches an OpenAI-format model as reasoning_effort, an unknown one too', async () => {
    for (const model of ['gpt-5-mini', 'my-vllm-model']) {
      expect((await budgeted(model)).status).toBe(200);
      expect(upstreamBody()).toMatchObject({ model, reasoning_effort: 'high' });
    }
  });

  it('explicit thinking with a budget leaves reasoning_effort out for models known to refuse it', async () => {
    for (const model of ['gpt-4o', 'openai/gpt-4.1', 'gpt-5-chat-latest']) {
      expect((await budgeted(model)).status).toBe(200);
      expect(upstreamBody()).toMatchObject({ model });
      expect(upstreamBody()).not.toHaveProperty('reasoning_effort');
    }
  });

  it('Gemini: a thinking budget from the effort where the model thinks, no thinking config where it cannot', async () => {
    await postJson(gw, '/v1/messages', { model: 'gemini-2.5-flash', ...claudeCodeFields });
    expect((upstreamBody().generationConfig as Record<string, unknown>).thinkingConfig).toEqual({
      includeThoughts: true,
      thinkingBudget: 8_192,
    });
    await postJson(gw, '/v1/messages', { model: 'gemini-2.0-flash', ...claudeCodeFields });
    expect(upstreamBody().generationConfig).not.toHaveProperty('thinkingConfig');
  });
});

describe('thinking from a Gemini client, mapped to what each upstream takes', () => {
  const noThinking = {
    contents: [{ role: 'user', parts: [{ text: 'hi' }] }],
    generationConfig: { thinkingConfig: { thinkingBudget: 0 } },
  };

  it('thinkingBudget 0 turns the thinking switch off', async () => {
    const res = await postJson(gw, '/v1beta/models/deepseek-chat:generateContent', noThinking);
    expect(res.status).toBe(200);
    expect(upstreamBody().thinking).toEqual({ type: 'disabled' });
  });

  it('thinkingBudget 0 turns Anthropic thinking off', async () => {
    const res = await postJson(gw, '/v1beta/models/claude-tiny:generateContent', noThinking);
    expect(res.status).toBe(200);
    expect(upstreamBody().thinking).toEqual({ type: 'disabled' });
  });
});
