import { readFileSync } from 'node:fs';
import OpenAI from 'openai';
import type { ResponseInputItem, ResponseStreamEvent } from 'openai/resources/responses/responses';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FAKE_SIGNATURE } from '../fake-upstream/anthropic-format.js';
import { FAKE_CREATED } from '../fake-upstream/openai-format.js';
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

const lastBody = () => (fake.requests.at(-1)?.json ?? {}) as Record<string, unknown>;
const tool = { type: 'function', strict: false, ...WEATHER_TOOL } as const;

async function collect<T>(stream: AsyncIterable<T>) {
  const events: T[] = [];
  const error = await (async () => {
    for await (const event of stream) events.push(event);
  })().catch((e: unknown) => e);
  return { events, error };
}

describe('an upstream stream that breaks off on a translated channel', () => {
  it.each([
    ['drops the connection', { kind: 'drop', afterChunks: 3 }],
    ['sends an error event', { kind: 'sse-error', afterChunks: 3 }],
  ] as const)('ends with response.failed when the upstream %s', async (_, behavior) => {
    fake.enqueue(behavior);
    const before = gw.usage.length;
    const { events, error } = await collect(
      await client.responses.create({ model: 'deepseek-chat', input: 'Hello', stream: true }),
    );
    expect(error).toBeUndefined();
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    const text = events.flatMap((e) => (e.type === 'response.output_text.delta' ? [e.delta] : [])).join('');
    expect(text.length).toBeGreaterThan(0);
    expect('fake answer from deepseek-chat'.startsWith(text)).toBe(true);
    const types = events.map((e) => e.type);
    expect(types).not.toContain('response.completed');
    const last = events.at(-1);
    if (last?.type !== 'response.failed') throw new Error(`last event is ${last?.type}`);
    expect(last.response.status).toBe('failed');
    expect(last.response.error).toMatchObject({ code: 'server_error', message: expect.any(String) });
    const record = await waitFor(() => gw.usage[before], 'the stream recorded');
    expect(record).toMatchObject({ operation: 'chat', stream: true, channel: 'oa', status: 502 });
    expect(record.errorCode).toBeTruthy();
    expect(record.countSource).toBe('partial');

    // The text the client got is billed as on the chat door for the same broken upstream stream.
    fake.enqueue(behavior);
    const chat = await client.chat.completions.create({
      model: 'deepseek-chat',
      messages: [{ role: 'user', content: 'Hello' }],
      stream: true,
    });
    await collect(chat);
    const chatRecord = await waitFor(() => gw.usage[before + 1], 'the chat stream recorded');
    expect(chatRecord.usage?.completionTokens).toBeGreaterThan(0);
    expect(record.usage?.completionTokens).toBe(chatRecord.usage?.completionTokens);
  });
});

describe('a translated answer without upstream usage is estimated as a relayed one', () => {
  // The first count meant to be exact loads the tokenizer (counts until then are heuristic):
  // the estimates compared below are made once it is loaded.
  beforeAll(async () => {
    await waitFor(
      async () => {
        fake.enqueue({ kind: 'status', status: 200, body: { ...CHAT_JSON, usage: undefined } });
        await client.chat.completions.create({
          model: 'deepseek-chat',
          messages: [{ role: 'user', content: 'Hello' }],
        });
        return gw.usage.at(-1)?.countSource === 'estimated';
      },
      'the tokenizer loaded',
      20_000,
    );
  });

  it('estimates the output of a JSON answer without usage as the chat door does', async () => {
    const body = {
      ...CHAT_JSON,
      choices: [
        {
          ...CHAT_JSON.choices[0],
          message: { role: 'assistant', content: 'A rather longer answer, sent whole without usage.' },
        },
      ],
      usage: undefined,
    };
    const before = gw.usage.length;
    fake.enqueue({ kind: 'status', status: 200, body });
    await client.responses.create({ model: 'deepseek-chat', input: 'Hello' });
    fake.enqueue({ kind: 'status', status: 200, body });
    await client.chat.completions.create({
      model: 'deepseek-chat',
      messages: [{ role: 'user', content: 'Hello' }],
    });
    const [viaResponses, viaChat] = gw.usage.slice(before);
    expect(viaChat?.countSource).toBe('estimated');
    expect(viaChat?.usage?.completionTokens).toBeGreaterThan(5);
    expect(viaResponses?.countSource).toBe('estimated');
    expect(viaResponses?.usage?.completionTokens).toBe(viaChat?.usage?.completionTokens);
  });

  it('estimates the output of a stream whose upstream reported no usage once, as the chat door does', async () => {
    const before = gw.usage.length;
    fake.enqueue({ kind: 'raw-sse', body: CHAT_SSE_NO_USAGE });
    await collect(await client.responses.create({ model: 'deepseek-chat', input: 'Hello', stream: true }));
    fake.enqueue({ kind: 'raw-sse', body: CHAT_SSE_NO_USAGE });
    const chat = await client.chat.completions.create({
      model: 'deepseek-chat',
      messages: [{ role: 'user', content: 'Hello' }],
      stream: true,
    });
    await collect(chat);
    const [viaResponses, viaChat] = await waitFor(
      () => (gw.usage.length >= before + 2 ? gw.usage.slice(before) : null),
      'both streams recorded',
    );
    expect(viaResponses?.countSource).toBe('estimated');
    expect(viaChat?.countSource).toBe('estimated');
    expect(viaChat?.usage?.completionTokens).toBeGreaterThan(5);
    expect(viaResponses?.usage?.completionTokens).toBe(viaChat?.usage?.completionTokens);
  });
});

const DATA_URL = `data:image/png;base64,${PIXEL_PNG}`;
const HTTP_URL = 'https://images.example/cat.png';
const IMAGE_INPUT: ResponseInputItem[] = [
  {
    role: 'user',
    content: [
      { type: 'input_text', text: 'Compare these' },
      { type: 'input_image', image_url: DATA_URL, detail: 'auto' },
      { type: 'input_image', image_url: HTTP_URL, detail: 'auto' },
    ],
  },
];

describe('input_image parts reach the upstream as its own image parts', () => {
  it('OpenAI-format chat: image_url parts with the data: URL and the http URL', async () => {
    await client.responses.create({ model: 'deepseek-chat', input: IMAGE_INPUT });
    const messages = lastBody().messages as { role: string; content: unknown }[];
    expect(messages.at(-1)).toEqual({
      role: 'user',
      content: [
        { type: 'text', text: 'Compare these' },
        { type: 'image_url', image_url: { url: DATA_URL } },
        { type: 'image_url', image_url: { url: HTTP_URL } },
      ],
    });
  });

  it('Anthropic: a base64 image block and a url image block', async () => {
    await client.responses.create({ model: 'claude-native', input: IMAGE_INPUT });
    const messages = lastBody().messages as { role: string; content: unknown }[];
    expect(messages.at(-1)).toEqual({
      role: 'user',
      content: [
        { type: 'text', text: 'Compare these' },
        { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PIXEL_PNG } },
        { type: 'image', source: { type: 'url', url: HTTP_URL } },
      ],
    });
  });
});

/** A tool-use turn as Codex sends it back: reasoning, the call, its output. */
const reasoningTurn = (encrypted?: string): ResponseInputItem[] => [
  { role: 'user', content: 'Weather in Paris?' },
  {
    type: 'reasoning',
    id: 'rs_1',
    summary: [{ type: 'summary_text', text: 'I should call the tool.' }],
    ...(encrypted ? { encrypted_content: encrypted } : {}),
  },
  { type: 'function_call', call_id: 'call_1', name: 'get_weather', arguments: '{"location":"Paris"}' },
  { type: 'function_call_output', call_id: 'call_1', output: '{"temp":21}' },
];

describe('reasoning input items reach the upstream as its own reasoning', () => {
  it('OpenAI-format chat: reasoning_content on the tool-use assistant message', async () => {
    await client.responses.create({ model: 'deepseek-chat', input: reasoningTurn(), tools: [tool] });
    const messages = lastBody().messages as Record<string, unknown>[];
    const assistant = messages.find((m) => m.role === 'assistant');
    expect(assistant).toMatchObject({
      reasoning_content: 'I should call the tool.',
      tool_calls: [{ id: 'call_1', function: { name: 'get_weather', arguments: '{"location":"Paris"}' } }],
    });
  });

  it('Anthropic: a thinking block with the signature carried in encrypted_content, before the tool_use', async () => {
    await client.responses.create({
      model: 'claude-native',
      input: reasoningTurn(`sig:${FAKE_SIGNATURE}`),
      tools: [tool],
    });
    const messages = lastBody().messages as { role: string; content: { type: string }[] }[];
    const assistant = messages.find((m) => m.role === 'assistant');
    expect(assistant?.content).toEqual([
      { type: 'thinking', thinking: 'I should call the tool.', signature: FAKE_SIGNATURE },
      { type: 'tool_use', id: 'call_1', name: 'get_weather', input: { location: 'Paris' } },
    ]);
  });

  it('Anthropic: unsigned reasoning (another provider’s) is left out rather than refused upstream', async () => {
    const response = await client.responses.create({
      model: 'claude-native',
      input: reasoningTurn(),
      tools: [tool],
    });
    expect(response.status).toBe('completed');
    const messages = lastBody().messages as { role: string; content: { type: string }[] }[];
    const assistant = messages.find((m) => m.role === 'assistant');
    expect(assistant?.content.map((b) => b.type)).toEqual(['tool_use']);
  });
});

/** OpenAI-format usage with cached and reasoning token details. */
const CHAT_USAGE = {
  prompt_tokens: 50,
  completion_tokens: 30,
  total_tokens: 80,
  prompt_tokens_details: { cached_tokens: 40 },
  completion_tokens_details: { reasoning_tokens: 20 },
};
const chatBase = { id: 'chatcmpl-u', created: FAKE_CREATED, model: 'deepseek-chat' };
const CHAT_JSON = {
  ...chatBase,
  object: 'chat.completion',
  choices: [{ index: 0, message: { role: 'assistant', content: 'cached hi' }, finish_reason: 'stop' }],
  usage: CHAT_USAGE,
};
function chatSse(chunks: Record<string, unknown>[]): string {
  return chunks
    .map((e) => `data: ${JSON.stringify({ ...chatBase, object: 'chat.completion.chunk', ...e })}\n\n`)
    .concat('data: [DONE]\n\n')
    .join('');
}
const CHAT_SSE = chatSse([
  { choices: [{ index: 0, delta: { content: 'cached hi' } }] },
  { choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] },
  { choices: [], usage: CHAT_USAGE },
]);

const CHAT_SSE_NO_USAGE = chatSse([
  { choices: [{ index: 0, delta: { content: 'A rather longer answer, ' } }] },
  { choices: [{ index: 0, delta: { content: 'streamed in two pieces without usage.' } }] },
  { choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] },
]);

const USAGE_CASES = [
  {
    family: 'Anthropic (cache_read_input_tokens)',
    model: 'claude-native',
    arrange: () => {},
    // The fake's 21 input + 5 cache writes + 100 cache reads; Anthropic reports no reasoning count.
    expected: { input: 126, cached: 100, output: 12, reasoning: 0 },
    streamArrange: () => {},
  },
  {
    family: 'OpenAI-format chat (prompt/completion_tokens_details)',
    model: 'deepseek-chat',
    arrange: () => fake.enqueue({ kind: 'status', status: 200, body: CHAT_JSON }),
    expected: { input: 50, cached: 40, output: 30, reasoning: 20 },
    streamArrange: () => fake.enqueue({ kind: 'raw-sse', body: CHAT_SSE }),
  },
] as const;

describe.each(USAGE_CASES)('usage details from $family', ({ model, arrange, streamArrange, expected }) => {
  const want = {
    input_tokens: expected.input,
    input_tokens_details: { cached_tokens: expected.cached },
    output_tokens: expected.output,
    output_tokens_details: { reasoning_tokens: expected.reasoning },
    total_tokens: expected.input + expected.output,
  };

  it('reports cached and reasoning tokens in the JSON response', async () => {
    arrange();
    const response = await client.responses.create({ model, input: 'Hi' });
    expect(response.status).toBe('completed');
    expect(response.usage).toEqual(want);
  });

  it('reports them in response.completed of a stream', async () => {
    streamArrange();
    const { events, error } = await collect(
      await client.responses.create({ model, input: 'Hi', stream: true }),
    );
    expect(error).toBeUndefined();
    const done = events.at(-1);
    if (done?.type !== 'response.completed') throw new Error(`last event is ${done?.type}`);
    expect(done.response.usage).toEqual(want);
  });
});

describe('Responses controls a translated channel cannot drop silently', () => {
  const fn = (name: string) => ({ type: 'function', name, parameters: { type: 'object', properties: {} } });
  const post = (body: Record<string, unknown>) =>
    fetch(`${gw.url}/v1/responses`, {
      method: 'POST',
      headers: { authorization: `Bearer ${gw.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'deepseek-chat', input: 'Read the file', ...body }),
    });
  const sentTools = () =>
    ((lastBody().tools ?? []) as { function: { name: string } }[]).map((t) => t.function.name);

  it('tool_choice allowed_tools offers only the allowed tools, in the mode asked', async () => {
    const tools = [fn('read_file'), fn('delete_file'), fn('list_dir')];
    const required = await post({
      tools,
      tool_choice: {
        type: 'allowed_tools',
        mode: 'required',
        tools: [
          { type: 'function', name: 'read_file' },
          { type: 'function', name: 'list_dir' },
        ],
      },
    });
    expect(required.status).toBe(200);
    expect({ tools: sentTools(), choice: lastBody().tool_choice }).toEqual({
      tools: ['read_file', 'list_dir'],
      choice: 'required',
    });
    const auto = await post({
      tools,
      tool_choice: { type: 'allowed_tools', mode: 'auto', tools: [{ type: 'function', name: 'read_file' }] },
    });
    expect(auto.status).toBe(200);
    expect({ tools: sentTools(), choice: lastBody().tool_choice }).toEqual({
      tools: ['read_file'],
      choice: 'auto',
    });
  });

  it.each([
    ['a hosted tool choice', { tool_choice: { type: 'web_search_preview' } }, 'tool_choice'],
    [
      'allowed_tools naming a hosted tool',
      { tool_choice: { type: 'allowed_tools', mode: 'auto', tools: [{ type: 'mcp', server_label: 'x' }] } },
      'tool_choice',
    ],
    ['a reusable prompt template', { prompt: { id: 'pmpt_123', version: '2' } }, 'prompt'],
  ])('%s is refused with 400 untranslatable_request, nothing sent', async (_, body, param) => {
    const res = await post({ tools: [fn('read_file')], ...body });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string; param: string } }).error).toMatchObject({
      code: 'untranslatable_request',
      param,
    });
    expect(fake.requests).toHaveLength(0);
  });
});

describe('parallel tool calls from an OpenAI-format upstream, streamed as Responses events', () => {
  const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
    `data: ${JSON.stringify({ id: 'chatcmpl-p', object: 'chat.completion.chunk', created: FAKE_CREATED, model: 'deepseek-chat', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
  const call = (index: number, id: string, city: string) => [
    chunk({
      tool_calls: [{ index, id, type: 'function', function: { name: 'get_weather', arguments: '' } }],
    }),
    chunk({ tool_calls: [{ index, function: { arguments: `{"location": "${city}"}` } }] }),
  ];
  const SEQUENTIAL = [
    chunk({ role: 'assistant', content: null }),
    ...call(0, 'call_paris', 'Paris'),
    ...call(1, 'call_tokyo', 'Tokyo'),
    chunk({}, 'tool_calls'),
    'data: [DONE]\n\n',
  ].join('');
  const INTERLEAVED = readFileSync(
    new URL('../fixtures/openai/interleaved-tool-calls.sse.txt', import.meta.url),
    'utf8',
  );

  /** Each item's events lie between its output_item.added and .done; the next item's come after. */
  function expectItemsInTurn(events: ResponseStreamEvent[]) {
    const indexes = events.flatMap((e) => ('output_index' in e ? [e.output_index] : []));
    expect(indexes).toEqual([...indexes].sort((a, b) => a - b));
    const bounds = events.flatMap((e) =>
      e.type === 'response.output_item.added' || e.type === 'response.output_item.done'
        ? [`${e.type.slice('response.output_item.'.length)} ${e.output_index}`]
        : [],
    );
    expect(bounds).toEqual(['added 0', 'done 0', 'added 1', 'done 1']);
  }

  it.each([
    ['one after the other', SEQUENTIAL, ['{"location": "Paris"}', '{"location": "Tokyo"}']],
    ['interleaved', INTERLEAVED, ['{"location": "Paris"}', '{"location": "Tokyo", "unit": "celsius"}']],
  ])('sends each call as one item after the other when they stream %s', async (_, body, args) => {
    fake.enqueue({ kind: 'raw-sse', body });
    const { events, error } = await collect(
      await client.responses.create({
        model: 'deepseek-chat',
        input: 'Paris and Tokyo?',
        tools: [tool],
        stream: true,
      }),
    );
    expect(error).toBeUndefined();
    expectItemsInTurn(events);
    const deltas = [0, 1].map((index) =>
      events
        .flatMap((e) =>
          e.type === 'response.function_call_arguments.delta' && e.output_index === index ? [e.delta] : [],
        )
        .join(''),
    );
    expect(deltas).toEqual(args);
    const done = events.at(-1);
    if (done?.type !== 'response.completed') throw new Error(`last event is ${done?.type}`);
    expect(
      done.response.output.map((item) => (item.type === 'function_call' ? item.arguments : null)),
    ).toEqual(args);
  });
});
