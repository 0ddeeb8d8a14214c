import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FAKE_SIGNATURE } from '../fake-upstream/anthropic-format.js';
import { FAKE_THOUGHT_SIGNATURE } from '../fake-upstream/gemini-format.js';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';
import {
  anthropicChannel,
  channel,
  geminiChannel,
  startTestGateway,
  type TestGateway,
} from '../support/start-gateway.js';

/**
 * A reasoning signature is valid only at the provider that issued it. A conversation that moves
 * between providers (a model switch, previous_response_id on another channel) must not hand
 * one provider's signature to another, which answers 400; its own still goes back to it.
 */
let fake: FakeUpstream;
let gw: TestGateway;
let client: OpenAI;
beforeAll(async () => {
  fake = await startFakeUpstream();
  gw = await startTestGateway({
    channels: [
      channel({
        name: 'native',
        provider: 'openai',
        base_url: fake.baseUrl,
        keys: ['oa-key'],
        models: ['gpt-native'],
      }),
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

const tool = {
  type: 'function',
  name: 'get_weather',
  strict: false,
  parameters: { type: 'object', properties: { location: { type: 'string' } } },
} as const;
const sent = () => JSON.stringify(fake.requests.at(-1)?.json);
/** `POST /v1/messages` as Claude Code sends it, the body as given. */
const postMessages = (body: string) =>
  fetch(`${gw.url}/v1/messages`, {
    method: 'POST',
    headers: { 'x-api-key': gw.key, 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
    body,
  });

describe('Responses: previous_response_id on another channel', () => {
  async function geminiToolTurn() {
    const first = await client.responses.create({
      model: 'gemini-2.5-flash',
      input: 'Weather?',
      tools: [tool],
    });
    const call = first.output.find((i) => i.type === 'function_call');
    if (call?.type !== 'function_call') throw new Error('no function call');
    return { first, call };
  }

  it("Gemini's thought signature does not reach Anthropic, and does go back to Gemini", async () => {
    const { first, call } = await geminiToolTurn();
    const next = {
      previous_response_id: first.id,
      input: [{ type: 'function_call_output' as const, call_id: call.call_id, output: '{"temp":21}' }],
      tools: [tool],
    };
    await client.responses.create({ model: 'claude-native', ...next });
    expect(sent()).not.toContain(FAKE_THOUGHT_SIGNATURE);
    await client.responses.create({ model: 'gemini-2.5-flash', ...next });
    const body = fake.requests.at(-1)?.json as { contents: { parts: { thoughtSignature?: string }[] }[] };
    const signatures = body.contents.flatMap((c) => c.parts.map((p) => p.thoughtSignature).filter(Boolean));
    expect(signatures).toEqual([FAKE_THOUGHT_SIGNATURE]);
  });

  it("Anthropic's signature does not reach Gemini, and does go back to Anthropic bare", async () => {
    const first = await client.responses.create({
      model: 'claude-native',
      input: 'Weather?',
      reasoning: { effort: 'low' },
    });
    expect(JSON.stringify(first.output)).toContain(FAKE_SIGNATURE);
    await client.responses.create({
      model: 'gemini-2.5-flash',
      previous_response_id: first.id,
      input: 'And tomorrow?',
    });
    expect(sent()).not.toContain(FAKE_SIGNATURE);
    await client.responses.create({
      model: 'claude-native',
      previous_response_id: first.id,
      input: 'And tomorrow?',
    });
    const body = fake.requests.at(-1)?.json as { messages: { content: unknown }[] };
    expect(JSON.stringify(body.messages)).toContain(`"signature":"${FAKE_SIGNATURE}"`);
  });

  it('no gateway-made reasoning reaches a native OpenAI channel, continued or sent back', async () => {
    const first = await client.responses.create({
      model: 'claude-native',
      input: 'Weather?',
      reasoning: { effort: 'low' },
    });
    await client.responses.create({
      model: 'gpt-native',
      previous_response_id: first.id,
      input: 'And tomorrow?',
    });
    expect(fake.requests.at(-1)?.path).toBe('/v1/responses');
    expect(fake.requests.at(-1)?.body).not.toContain(FAKE_SIGNATURE);
    // Codex keeps its own history (store: false) and sends the reasoning item back itself.
    const history = [
      { role: 'user' as const, content: 'Weather?' },
      ...first.output.map((item) => ({ ...item })),
      { role: 'user' as const, content: 'And tomorrow?' },
    ];
    await client.responses.create({
      model: 'gpt-native',
      store: false,
      input: history as OpenAI.Responses.ResponseInput,
    });
    const relayed = fake.requests.at(-1);
    expect(relayed?.body).not.toContain(FAKE_SIGNATURE);
    expect(relayed?.body).toContain('And tomorrow?');
  });
});

describe('OpenAI chat clients switching models', () => {
  it("an Anthropic turn's signature, sent back by the client, does not reach Gemini", async () => {
    const first = await client.chat.completions.create({
      model: 'claude-native',
      messages: [{ role: 'user', content: 'Weather?' }],
      reasoning_effort: 'low',
    });
    const message = first.choices[0]?.message as unknown as Record<string, unknown>;
    expect(String(message.reasoning_signature)).toContain(FAKE_SIGNATURE);
    const history = [
      { role: 'user', content: 'Weather?' },
      { ...message },
      { role: 'user', content: 'And tomorrow?' },
    ] as OpenAI.Chat.ChatCompletionMessageParam[];
    await client.chat.completions.create({ model: 'gemini-2.5-flash', messages: history });
    expect(sent()).not.toContain(FAKE_SIGNATURE);
    await client.chat.completions.create({
      model: 'claude-native',
      messages: history,
      reasoning_effort: 'low',
    });
    expect(sent()).toContain(`"signature":"${FAKE_SIGNATURE}"`);
  });
});

describe('Anthropic clients (Claude Code) switching to a natively served Claude model', () => {
  const post = (body: Record<string, unknown>) =>
    postMessages(JSON.stringify({ model: 'claude-native', max_tokens: 4000, ...body }));
  const thinking = { type: 'enabled', budget_tokens: 2000 };
  const relayed = () =>
    fake.requests.at(-1)?.json as { messages: { content: unknown }[]; thinking?: unknown };

  it('thinking another provider made (unsigned, or signed by Gemini) is left out; Anthropic-signed stays', async () => {
    const res = await post({
      thinking,
      messages: [
        { role: 'user', content: 'hi' },
        {
          role: 'assistant',
          content: [
            // A DeepSeek turn: the gateway had no signature to give.
            { type: 'thinking', thinking: 'Let me think.', signature: '' },
            { type: 'text', text: 'Hello.' },
          ],
        },
        { role: 'user', content: 'and?' },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'Gemini thought.', signature: 'gemini:R2VtaW5pU2lnbmF0dXJl' },
            { type: 'text', text: 'Gemini said.' },
          ],
        },
        { role: 'user', content: 'and now?' },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'Claude thought.', signature: FAKE_SIGNATURE },
            { type: 'text', text: 'Claude said.' },
          ],
        },
        { role: 'user', content: 'last' },
      ],
    });
    expect(res.status).toBe(200);
    const body = fake.requests.at(-1)?.body ?? '';
    // Anthropic answers 400 "Invalid signature in thinking block" to either.
    expect(body).not.toContain('"signature":""');
    expect(body).not.toContain('gemini:');
    expect(body).toContain(`"signature":"${FAKE_SIGNATURE}"`);
    expect(relayed().thinking).toEqual(thinking);
    expect(relayed().messages[1]?.content).toEqual([{ type: 'text', text: 'Hello.' }]);
  });

  it("in a tool loop whose last turn another provider thought, the request goes without thinking (Anthropic requires that turn's thinking)", async () => {
    const res = await post({
      thinking,
      tools: [{ name: 'get_weather', input_schema: { type: 'object' } }],
      messages: [
        { role: 'user', content: 'Weather?' },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'Call the tool.', signature: '' },
            { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: {} },
          ],
        },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'sunny' }] },
      ],
    });
    expect(res.status).toBe(200);
    expect(relayed().thinking).toBeUndefined();
    expect(relayed().messages[1]?.content).toEqual([
      { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: {} },
    ]);
  });

  it('a history with nothing foreign goes byte for byte', async () => {
    const raw = JSON.stringify({
      model: 'claude-native',
      max_tokens: 4000,
      thinking,
      messages: [
        { role: 'user', content: 'hi' },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'Hm.', signature: FAKE_SIGNATURE },
            { type: 'text', text: 'Yo.' },
          ],
        },
        { role: 'user', content: 'again' },
      ],
    });
    const res = await postMessages(raw);
    expect(res.status).toBe(200);
    expect(fake.requests.at(-1)?.body).toBe(raw);
  });
});

describe('OpenAI clients continuing a tool loop on an Anthropic channel', () => {
  it('a tool-call turn another model thought (no Anthropic signature) sends no thinking', async () => {
    await client.chat.completions.create({
      model: 'claude-native',
      reasoning_effort: 'low',
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } }],
      messages: [
        { role: 'user', content: 'Weather?' },
        {
          role: 'assistant',
          content: null,
          reasoning_content: 'Call the tool.',
          tool_calls: [
            { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{}' } },
          ],
        } as OpenAI.Chat.ChatCompletionAssistantMessageParam,
        { role: 'tool', tool_call_id: 'call_1', content: 'sunny' },
      ],
    });
    const body = fake.requests.at(-1)?.json as { thinking?: unknown };
    // Anthropic: "a final assistant message must start with a thinking block" when thinking is on.
    expect(body.thinking).toBeUndefined();
  });
});

describe('a tool loop of several steps keeps thinking while its turn starts with signed thinking', () => {
  it('OpenAI chat client: thinking only on the first step (Claude thinks once without interleaving)', async () => {
    const tools = [{ type: 'function' as const, function: { name: 'ls', parameters: { type: 'object' } } }];
    await client.chat.completions.create({
      model: 'claude-native',
      reasoning_effort: 'high',
      tools,
      messages: [
        { role: 'user', content: 'list twice' },
        {
          role: 'assistant',
          content: null,
          reasoning_content: 'I will list.',
          reasoning_signature: `anthropic:${FAKE_SIGNATURE}`,
          tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'ls', arguments: '{}' } }],
        } as OpenAI.Chat.ChatCompletionAssistantMessageParam,
        { role: 'tool', tool_call_id: 'toolu_1', content: 'a b' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'toolu_2', type: 'function', function: { name: 'ls', arguments: '{}' } }],
        },
        { role: 'tool', tool_call_id: 'toolu_2', content: 'c d' },
      ],
    });
    const sent = fake.requests.at(-1)?.json as {
      thinking?: unknown;
      messages: { content: { type: string }[] }[];
    };
    expect(sent.messages[1]?.content[0]?.type).toBe('thinking');
    expect(sent.thinking).toBeDefined();
  });

  it('Claude Code (native) with a foreign block earlier in the session', async () => {
    const res = await postMessages(
      JSON.stringify({
        model: 'claude-native',
        max_tokens: 4096,
        thinking: { type: 'enabled', budget_tokens: 2048 },
        tools: [{ name: 'ls', input_schema: { type: 'object' } }],
        messages: [
          { role: 'user', content: 'hi' },
          {
            role: 'assistant',
            content: [
              { type: 'thinking', thinking: 'gpt thoughts', signature: '' },
              { type: 'text', text: 'hello' },
            ],
          },
          { role: 'user', content: 'list twice' },
          {
            role: 'assistant',
            content: [
              { type: 'thinking', thinking: 'I will list.', signature: FAKE_SIGNATURE },
              { type: 'tool_use', id: 'toolu_1', name: 'ls', input: {} },
            ],
          },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'a b' }] },
          { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_2', name: 'ls', input: {} }] },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_2', content: 'c d' }] },
        ],
      }),
    );
    expect(res.status).toBe(200);
    const sent = fake.requests.at(-1)?.json as { thinking?: unknown; messages: unknown[] };
    expect(sent.thinking).toEqual({ type: 'enabled', budget_tokens: 2048 });
    expect(JSON.stringify(sent.messages)).not.toContain('gpt thoughts');
  });
});

describe('Gemini clients switching from a Claude model to a Gemini one', () => {
  const generate = (model: string, body: Record<string, unknown>) =>
    fetch(`${gw.url}/v1beta/models/${model}:generateContent`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-goog-api-key': gw.key },
      body: JSON.stringify(body),
    });

  it("Anthropic's signature reaches the Gemini client as base64, and never a native Gemini channel", async () => {
    const first = await generate('claude-native', {
      contents: [{ role: 'user', parts: [{ text: 'Weather?' }] }],
      tools: [{ functionDeclarations: [{ name: 'get_weather', parameters: { type: 'object' } }] }],
      generationConfig: { thinkingConfig: { thinkingBudget: 2048, includeThoughts: true } },
    });
    const answer = (await first.json()) as {
      candidates: { content: { role: string; parts: { thoughtSignature?: string }[] } }[];
    };
    const parts = answer.candidates[0]?.content.parts ?? [];
    const signatures = parts.flatMap((p) => (p.thoughtSignature ? [p.thoughtSignature] : []));
    expect(signatures.length).toBeGreaterThan(0);
    for (const signature of signatures) expect(signature).toMatch(/^[A-Za-z0-9+/]+={0,2}$/);
    // The client sends the turn back, now to a model a Gemini channel serves natively.
    const history = {
      contents: [
        { role: 'user', parts: [{ text: 'Weather?' }] },
        { role: 'model', parts },
        { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { temp: 21 } } }] },
      ],
    };
    expect((await generate('gemini-2.5-flash', history)).status).toBe(200);
    const sent = fake.requests.at(-1)?.body ?? '';
    for (const signature of signatures) expect(sent).not.toContain(signature);
    // And back to Claude: Anthropic gets its own signature, bare.
    expect((await generate('claude-native', history)).status).toBe(200);
    expect(fake.requests.at(-1)?.body).toContain(`"signature":"${FAKE_SIGNATURE}"`);
  });
});
