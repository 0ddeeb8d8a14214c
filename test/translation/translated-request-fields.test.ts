/**
 * OpenAI chat requests translated for other upstreams, and requests translated for OpenAI: what
 * each upstream is sent must be what it takes (the fake upstream records the body; the rules it
 * stands for are the providers' documented ones, cited per case).
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';
import { channel, startTestGateway, type TestGateway } from '../support/start-gateway.js';

let fake: FakeUpstream;
let gw: TestGateway;
let openai: OpenAI;

beforeAll(async () => {
  fake = await startFakeUpstream();
  gw = await startTestGateway({
    channels: [
      channel({ name: 'oa', base_url: fake.baseUrl, keys: ['oa-key'], models: ['deepseek-chat'] }),
      channel({
        name: 'zp',
        provider: 'zhipu',
        base_url: fake.baseUrl,
        keys: ['zp-key'],
        models: ['glm-4.5'],
      }),
      channel({
        name: 'op',
        provider: 'openai',
        base_url: fake.baseUrl,
        keys: ['op-key'],
        models: ['gpt-5', 'o3'],
      }),
      channel({
        name: 'an',
        provider: 'anthropic',
        base_url: `${fake.url}/v1`,
        keys: ['an-key'],
        models: ['claude-native', 'claude-3-5-haiku-20241022', 'glm-4.6'],
      }),
      channel({
        name: 'gm',
        provider: 'gemini',
        base_url: `${fake.url}/v1beta`,
        keys: ['gm-key'],
        models: ['gemini-3-pro-preview', 'gemini-2.5-flash'],
      }),
      channel({
        name: 'az',
        provider: 'azure',
        base_url: fake.url,
        keys: ['az-key'],
        models: ['gpt-5-azure'],
        model_map: { 'gpt-5-azure': 'gpt-5' },
      }),
    ],
  });
  openai = new OpenAI({ apiKey: gw.key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
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
const lastBody = () => fake.requests.at(-1)?.json as Record<string, any>;

describe('OpenAI response_format on a translated route', () => {
  it('asks a Gemini channel for JSON matching the schema', async () => {
    const schema = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] };
    const res = await openai.chat.completions.create({
      model: 'gemini-3-pro-preview',
      messages: [{ role: 'user', content: 'Where is the Eiffel tower?' }],
      response_format: { type: 'json_schema', json_schema: { name: 'place', schema, strict: true } },
    });
    expect(res.choices[0]).toBeDefined();
    expect(lastBody().generationConfig?.responseMimeType).toBe('application/json');
    expect(lastBody().generationConfig?.responseJsonSchema).toEqual(schema);
  });

  // Anthropic structured outputs (docs.claude.com, "Structured outputs"): output_config.format.
  // Dropped, an OpenAI client parsing JSON from Claude got whatever prose the model wrote.
  it('asks an Anthropic channel for JSON matching the schema', async () => {
    const schema = {
      type: 'object',
      properties: { city: { type: 'string' } },
      required: ['city'],
      additionalProperties: false,
    };
    fake.enqueue({ kind: 'ok', content: '{"city":"Paris"}' });
    const res = await openai.chat.completions.create({
      model: 'claude-native',
      messages: [{ role: 'user', content: 'Where is the Eiffel tower?' }],
      response_format: { type: 'json_schema', json_schema: { name: 'place', schema, strict: true } },
    });
    expect(JSON.parse(res.choices[0]?.message.content ?? '')).toEqual({ city: 'Paris' });
    expect(lastBody().output_config).toEqual({ format: { type: 'json_schema', schema } });
  });

  // Anthropic's dialect: every object closed, no numeric or length bounds (its SDKs move those
  // into the description); sent as written, a common OpenAI schema was refused with a 400.
  it('sends Anthropic the schema in the dialect it takes, the bounds it refuses in the description', async () => {
    const res = await post('/v1/chat/completions', {
      model: 'claude-native',
      messages: [{ role: 'user', content: 'Two cities, please.' }],
      response_format: {
        type: 'json_schema',
        json_schema: {
          name: 'cities',
          schema: {
            type: 'object',
            properties: {
              cities: {
                type: 'array',
                minItems: 2,
                items: {
                  type: 'object',
                  properties: { name: { type: 'string', minLength: 1, description: 'City name' } },
                  required: ['name'],
                },
              },
              tags: { type: 'object', additionalProperties: { type: 'string' } },
            },
            required: ['cities'],
          },
        },
      },
    });
    expect(res.status).toBe(200);
    expect(lastBody().output_config.format.schema).toEqual({
      type: 'object',
      properties: {
        cities: {
          type: 'array',
          description: '{minItems: 2}',
          items: {
            type: 'object',
            properties: { name: { type: 'string', description: 'City name\n\n{minLength: 1}' } },
            required: ['name'],
            additionalProperties: false,
          },
        },
        tags: {
          type: 'object',
          additionalProperties: false,
          description: '{additionalProperties: {"type":"string"}}',
        },
      },
      required: ['cities'],
      additionalProperties: false,
    });
  });

  it("leaves the schema out for another vendor's model behind an Anthropic-compatible endpoint", async () => {
    const schema = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] };
    const res = await post('/v1/chat/completions', {
      model: 'glm-4.6',
      messages: [{ role: 'user', content: 'Where is the Eiffel tower?' }],
      response_format: { type: 'json_schema', json_schema: { name: 'place', schema } },
    });
    expect(res.status).toBe(200);
    expect(lastBody().output_config).toBeUndefined();
  });

  it('leaves the schema out for a Claude model older than structured outputs, which would refuse it', async () => {
    const schema = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] };
    const res = await post('/v1/chat/completions', {
      model: 'claude-3-5-haiku-20241022',
      messages: [{ role: 'user', content: 'Where is the Eiffel tower?' }],
      response_format: { type: 'json_schema', json_schema: { name: 'place', schema } },
    });
    expect(res.status).toBe(200);
    expect(lastBody().output_config).toBeUndefined();
  });
});

// Anthropic structured outputs (client.messages.parse()): output_config.format, or the older beta
// field output_format. Dropped, the client got prose where it parses JSON.
describe('Anthropic structured outputs on a translated route', () => {
  const schema = {
    type: 'object',
    properties: { city: { type: 'string' } },
    required: ['city'],
    additionalProperties: false,
  };
  const ask = (model: string, fields: Record<string, unknown>) =>
    post('/v1/messages', {
      model,
      max_tokens: 200,
      messages: [{ role: 'user', content: 'Where is the Eiffel tower?' }],
      ...fields,
    });

  it('output_config.format reaches an OpenAI-format channel as response_format json_schema', async () => {
    const res = await ask('deepseek-chat', {
      output_config: { effort: 'low', format: { type: 'json_schema', schema } },
    });
    expect(res.status).toBe(200);
    expect(lastBody().response_format).toEqual({
      type: 'json_schema',
      json_schema: { name: 'response', schema },
    });
  });

  it('the older output_format field does too', async () => {
    const res = await ask('deepseek-chat', { output_format: { type: 'json_schema', schema } });
    expect(res.status).toBe(200);
    expect(lastBody().response_format).toEqual({
      type: 'json_schema',
      json_schema: { name: 'response', schema },
    });
  });

  it('output_config.format asks a Gemini channel for JSON matching the schema', async () => {
    const res = await ask('gemini-2.5-flash', { output_config: { format: { type: 'json_schema', schema } } });
    expect(res.status).toBe(200);
    expect(lastBody().generationConfig?.responseMimeType).toBe('application/json');
    expect(lastBody().generationConfig?.responseJsonSchema).toEqual(schema);
  });
});

// Strict function tools (OpenAI `strict: true`, as the SDKs' zodFunction / pydantic_function_tool
// helpers send them): dropped, a client that relies on arguments matching the schema got a Claude
// or Responses-translated call that was free to stray from it.
describe('strict function tools on a translated route', () => {
  const parameters = {
    type: 'object',
    properties: { city: { type: 'string', minLength: 1 }, unit: { type: 'string', enum: ['c', 'f'] } },
    required: ['city', 'unit'],
    additionalProperties: false,
  };
  const chatTools = (strict: boolean) => [
    { type: 'function', function: { name: 'weather', description: 'Weather now', parameters, strict } },
  ];

  it("OpenAI strict: true reaches a Claude model as a strict tool, its schema in Anthropic's dialect", async () => {
    const res = await post('/v1/chat/completions', {
      model: 'claude-native',
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
      tools: chatTools(true),
    });
    expect(res.status).toBe(200);
    expect(lastBody().tools).toEqual([
      {
        name: 'weather',
        description: 'Weather now',
        strict: true,
        input_schema: {
          type: 'object',
          properties: {
            city: { type: 'string', description: '{minLength: 1}' },
            unit: { type: 'string', enum: ['c', 'f'] },
          },
          required: ['city', 'unit'],
          additionalProperties: false,
        },
      },
    ]);
  });

  it('a Claude model older than structured outputs gets the tool without strict, its schema as written', async () => {
    const res = await post('/v1/chat/completions', {
      model: 'claude-3-5-haiku-20241022',
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
      tools: chatTools(true),
    });
    expect(res.status).toBe(200);
    expect(lastBody().tools).toEqual([
      { name: 'weather', description: 'Weather now', input_schema: parameters },
    ]);
  });

  it('strict: false is no strict tool on Claude', async () => {
    const res = await post('/v1/chat/completions', {
      model: 'claude-native',
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
      tools: chatTools(false),
    });
    expect(res.status).toBe(200);
    expect(lastBody().tools[0].strict).toBeUndefined();
    expect(lastBody().tools[0].input_schema).toEqual(parameters);
  });

  it('a Responses function tool keeps its strict flag on a chat-completions channel', async () => {
    for (const strict of [true, false]) {
      const res = await post('/v1/responses', {
        model: 'deepseek-chat',
        input: 'Weather in Paris?',
        tools: [{ type: 'function', name: 'weather', description: 'Weather now', parameters, strict }],
      });
      expect(res.status).toBe(200);
      expect(lastBody().tools).toEqual([
        { type: 'function', function: { name: 'weather', description: 'Weather now', parameters, strict } },
      ]);
    }
  });
});

describe('OpenAI reasoning_effort values beyond minimal..high', () => {
  it('reasoning_effort "none" does not turn Anthropic extended thinking on', async () => {
    const res = await post('/v1/chat/completions', {
      model: 'claude-native',
      messages: [{ role: 'user', content: 'hi' }],
      reasoning_effort: 'none',
    });
    expect(res.status).toBe(200);
    expect(lastBody().thinking?.type).not.toBe('enabled');
  });
  it('Responses reasoning.effort "xhigh" is high, so chat reasoning_effort "xhigh" must not become medium', async () => {
    await post('/v1/chat/completions', {
      model: 'claude-native',
      messages: [{ role: 'user', content: 'hi' }],
      reasoning_effort: 'xhigh',
    });
    // medium = 8192; high = 24576 (docs/anthropic-and-translation.md)
    expect(lastBody().thinking?.budget_tokens).toBe(24576);
  });
  // Codex's model_reasoning_effort = "none": GLM (like Kimi and DeepSeek) thinks unless told not to.
  it('Responses reasoning.effort "none" turns thinking off on a preset that thinks by default', async () => {
    const res = await post('/v1/responses', { model: 'glm-4.5', input: 'hi', reasoning: { effort: 'none' } });
    expect(res.status).toBe(200);
    expect(lastBody().thinking).toEqual({ type: 'disabled' });
  });
});

// OpenAI's reasoning models (o-series, gpt-5) answer 400 to max_tokens: "Use 'max_completion_tokens' instead".
describe('the output limit sent to OpenAI and Azure OpenAI', () => {
  it('Claude Code (Anthropic front door) → openai channel, gpt-5', async () => {
    const res = await post('/v1/messages', {
      model: 'gpt-5',
      max_tokens: 32000,
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(res.status).toBe(200);
    const body = lastBody();
    expect(body.max_tokens).toBeUndefined();
    expect(body.max_completion_tokens).toBe(32000);
  });
  it('Codex CLI (Responses front door) → azure gpt-5 deployment', async () => {
    const res = await post('/v1/responses', {
      model: 'gpt-5-azure',
      input: 'hi',
      max_output_tokens: 4000,
      store: false,
    });
    expect(res.status).toBe(200);
    const body = lastBody();
    expect(body.max_tokens).toBeUndefined();
    expect(body.max_completion_tokens).toBe(4000);
  });
});

// Anthropic answers 400 to an empty text block: "text content blocks must be non-empty".
describe('empty text sent to Anthropic', () => {
  it('an empty OpenAI system message becomes an empty system text block', async () => {
    const res = await post('/v1/chat/completions', {
      model: 'claude-native',
      messages: [
        { role: 'system', content: '' },
        { role: 'user', content: 'hi' },
      ],
    });
    expect(res.status).toBe(200);
    expect(JSON.stringify(lastBody().system ?? [])).not.toContain('"text":""');
  });
  it('an OpenAI tool result with empty content', async () => {
    const res = await post('/v1/chat/completions', {
      model: 'claude-native',
      messages: [
        { role: 'user', content: 'run it' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'call_1', type: 'function', function: { name: 'sh', arguments: '{"cmd":"true"}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'call_1', content: '' },
      ],
      tools: [{ type: 'function', function: { name: 'sh', parameters: { type: 'object' } } }],
    });
    expect(res.status).toBe(200);
    const sent = JSON.stringify(lastBody().messages);
    expect(sent).not.toContain('"text":""');
  });
});

describe('OpenAI n > 1 on a translated route', () => {
  it('n: 2 to an Anthropic channel is refused (400, param n), not answered with one choice', async () => {
    const res = await post('/v1/chat/completions', {
      model: 'claude-native',
      n: 2,
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; param: string } };
    expect(body.error).toMatchObject({ code: 'untranslatable_request', param: 'n' });
    expect(fake.requests).toHaveLength(0);
  });
});

describe('a Gemini 3 thought signature on an OpenAI client round trip', () => {
  it('the signature goes back on the functionCall part it came on', async () => {
    const SIG = 'gemini3-signature-on-function-call';
    // What Gemini 3 answers: some text, then a function call carrying the signature.
    fake.enqueue({
      kind: 'status',
      status: 200,
      body: {
        candidates: [
          {
            content: {
              role: 'model',
              parts: [
                { text: 'Let me check the weather.' },
                { functionCall: { name: 'get_weather', args: { location: 'Paris' } }, thoughtSignature: SIG },
              ],
            },
            finishReason: 'STOP',
            index: 0,
          },
        ],
        usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 5, totalTokenCount: 15 },
        modelVersion: 'gemini-3-pro-preview',
        responseId: 'r1',
      },
    });
    const tools = [
      {
        type: 'function' as const,
        function: {
          name: 'get_weather',
          parameters: { type: 'object', properties: { location: { type: 'string' } } },
        },
      },
    ];
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Weather in Paris?' }];
    const first = await openai.chat.completions.create({ model: 'gemini-3-pro-preview', tools, messages });
    const assistant = first.choices[0]?.message as OpenAI.ChatCompletionMessage & {
      reasoning_signature?: string;
    };
    expect(assistant.reasoning_signature).toBe(`gemini:${SIG}`);
    const call = assistant.tool_calls?.[0];
    expect(call).toBeDefined();
    // The client sends the assistant message back as it got it, plus the tool's result.
    await openai.chat.completions.create({
      model: 'gemini-3-pro-preview',
      tools,
      messages: [
        ...messages,
        assistant as OpenAI.ChatCompletionAssistantMessageParam,
        { role: 'tool', tool_call_id: call?.id ?? '', content: '{"temp":21}' },
      ],
    });
    const modelTurn = lastBody().contents[1];
    const fnPart = modelTurn.parts.find((p: { functionCall?: unknown }) => p.functionCall);
    // Gemini 3 answers 400 "Function call is missing a thought_signature" without this.
    expect(fnPart.thoughtSignature).toBe(SIG);
  });
});

describe('a tool-call history from another model, continued on Gemini', () => {
  // What Claude Code's /model or a failover leaves: tool calls no Gemini model signed.
  const history: OpenAI.ChatCompletionMessageParam[] = [
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
  ];
  const tools = [
    {
      type: 'function' as const,
      function: { name: 'get_weather', parameters: { type: 'object', properties: {} } },
    },
  ];
  const callPart = () =>
    (lastBody().contents[1].parts as { functionCall?: unknown; thoughtSignature?: string }[]).find(
      (p) => p.functionCall,
    );

  it("Gemini 3 gets Google's documented placeholder signature on the turn's first call", async () => {
    await openai.chat.completions.create({ model: 'gemini-3-pro-preview', tools, messages: history });
    // Without one, Gemini 3 answers 400 "Function call is missing a thought_signature".
    expect(callPart()?.thoughtSignature).toBe('skip_thought_signature_validator');
  });

  it('an earlier Gemini, which does not require one, gets none', async () => {
    await openai.chat.completions.create({ model: 'gemini-2.5-flash', tools, messages: history });
    expect(callPart()?.thoughtSignature).toBeUndefined();
  });
});

describe('images in tool results for a Gemini channel', () => {
  it('Claude Code Read of an image → Gemini gets the image data', async () => {
    const res = await post('/v1/messages', {
      model: 'gemini-3-pro-preview',
      max_tokens: 100,
      tools: [{ name: 'Read', input_schema: { type: 'object' } }],
      messages: [
        { role: 'user', content: 'What is in shot.png?' },
        {
          role: 'assistant',
          content: [{ type: 'tool_use', id: 'tu1', name: 'Read', input: { file_path: 'shot.png' } }],
        },
        {
          role: 'user',
          content: [
            {
              type: 'tool_result',
              tool_use_id: 'tu1',
              content: [
                { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
              ],
            },
          ],
        },
      ],
    });
    expect(res.status).toBe(200);
    expect(JSON.stringify(lastBody().contents)).toContain('iVBORw0KGgo=');
  });
});

// Gemini takes a user turn's text before its functionResponse parts; OpenAI wants the tool messages
// right after the assistant's tool_calls, Anthropic the tool_result blocks first in the user turn.
describe('a Gemini user turn with text before its function results', () => {
  const contents = [
    { role: 'user', parts: [{ text: 'go' }] },
    { role: 'model', parts: [{ functionCall: { name: 'read_file', args: { path: 'a' } } }] },
    {
      role: 'user',
      parts: [{ text: 'note' }, { functionResponse: { name: 'read_file', response: { output: 'A' } } }],
    },
  ];

  it('an OpenAI-format channel gets the tool message right after the call, then the text', async () => {
    const res = await post('/v1beta/models/deepseek-chat:generateContent', { contents });
    expect(res.status).toBe(200);
    const messages = lastBody().messages as { role: string; content: unknown }[];
    expect(messages.map((m) => m.role)).toEqual(['user', 'assistant', 'tool', 'user']);
    expect(messages[3]?.content).toBe('note');
  });

  it('an Anthropic channel gets the tool_result first in the user turn', async () => {
    const res = await post('/v1beta/models/claude-native:generateContent', { contents });
    expect(res.status).toBe(200);
    const last = lastBody().messages.at(-1);
    expect(last.content.map((b: { type: string }) => b.type)).toEqual(['tool_result', 'text']);
  });
});

// An OpenAI model that declines answers `content: null, refusal: "…"` (streamed as delta.refusal),
// typically when asked for structured output. Translated for another format, the answer came back
// empty: a completed Responses answer with no output, a Gemini candidate with no parts.
describe('an OpenAI refusal answered to a client of another format', () => {
  const said = "I'm sorry, I can't help with that.";
  const refusal = {
    id: 'chatcmpl-r',
    object: 'chat.completion',
    created: 1,
    model: 'deepseek-chat',
    choices: [
      { index: 0, message: { role: 'assistant', content: null, refusal: said }, finish_reason: 'stop' },
    ],
    usage: { prompt_tokens: 10, completion_tokens: 9, total_tokens: 19 },
  };

  it('a Responses client gets the refusal as the message text', async () => {
    fake.enqueue({ kind: 'status', status: 200, body: refusal });
    const res = await post('/v1/responses', { model: 'deepseek-chat', input: 'something it declines' });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.output[0].content[0].text).toBe(said);
  });

  it('a Gemini client gets it as the candidate text', async () => {
    fake.enqueue({ kind: 'status', status: 200, body: refusal });
    const res = await post('/v1beta/models/deepseek-chat:generateContent', {
      contents: [{ role: 'user', parts: [{ text: 'something it declines' }] }],
    });
    expect(res.status).toBe(200);
    expect((await res.json()).candidates[0].content.parts).toEqual([{ text: said }]);
  });

  it('once, when an upstream sends it beside the content', async () => {
    fake.enqueue({
      kind: 'status',
      status: 200,
      body: {
        ...refusal,
        choices: [
          { index: 0, message: { role: 'assistant', content: said, refusal: said }, finish_reason: 'stop' },
        ],
      },
    });
    const res = await post('/v1beta/models/deepseek-chat:generateContent', {
      contents: [{ role: 'user', parts: [{ text: 'something it declines' }] }],
    });
    expect((await res.json()).candidates[0].content.parts).toEqual([{ text: said }]);
  });

  it('an Anthropic client streaming gets it as a text block', async () => {
    const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
      `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'deepseek-chat', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
    fake.enqueue({
      kind: 'raw-sse',
      body: `${chunk({ role: 'assistant', refusal: "I'm sorry, " })}${chunk({ refusal: "I can't help with that." })}${chunk({}, 'stop')}data: [DONE]\n\n`,
    });
    const res = await post('/v1/messages', {
      model: 'deepseek-chat',
      max_tokens: 100,
      stream: true,
      messages: [{ role: 'user', content: 'something it declines' }],
    });
    expect(res.status).toBe(200);
    const text = (await res.text())
      .split('\n')
      .filter((line) => line.startsWith('data: '))
      .map((line) => JSON.parse(line.slice(6)))
      .filter((event) => event.type === 'content_block_delta')
      .map((event) => event.delta.text)
      .join('');
    expect(text).toBe(said);
  });
});
