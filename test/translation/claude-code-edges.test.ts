import { readFileSync } from 'node:fs';
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { FakeUpstream } from '../fake-upstream/server.js';
import { postJson, sseData } from '../support/http.js';
import type { GatewayUnderTest } from '../support/start-any-gateway.js';
import { startTranslationRigUnderTest, WEATHER_TOOL } from './setup.js';

let fake: FakeUpstream;
/** Runs on Node, or on the Worker with GATEWAY_RUNTIME=workers (test/support/start-any-gateway.ts). */
let gw: GatewayUnderTest;
let client: Anthropic;

beforeAll(async () => {
  ({ fake, gw } = await startTranslationRigUnderTest());
  client = new Anthropic({ apiKey: gw.key, baseURL: gw.url, maxRetries: 0 });
  // Starting the Worker (GATEWAY_RUNTIME=workers) bundles it and starts workerd: seconds.
}, 120_000);
afterAll(async () => {
  await gw?.close();
  await fake?.close();
});
beforeEach(() => fake.reset());

const fixture = (path: string) => readFileSync(new URL(`../fixtures/${path}`, import.meta.url), 'utf8');
const lastBody = () => fake.requests.at(-1)?.json as Record<string, unknown>;
const tool: Anthropic.Tool = {
  name: WEATHER_TOOL.name,
  description: WEATHER_TOOL.description,
  input_schema: WEATHER_TOOL.parameters as unknown as Anthropic.Tool.InputSchema,
};

/** A conversation as Claude Code sends it: a system message after the first user turn. */
const claudeCodeConversation = {
  max_tokens: 256,
  system: 'You are terse.',
  messages: [
    { role: 'user', content: 'context first' },
    { role: 'system', content: [{ type: 'text', text: '# Environment: /tmp/project' }] },
    { role: 'user', content: 'Weather?' },
  ],
};

describe('system messages inside the conversation (Claude Code)', () => {
  it('stay system messages, in place, for an OpenAI-format upstream', async () => {
    const res = await postJson(gw, '/v1/messages', { model: 'claude-sonnet-4-5', ...claudeCodeConversation });
    expect(res.status).toBe(200);
    const messages = lastBody().messages as { role: string; content: unknown }[];
    expect(messages.map((m) => m.role)).toEqual(['system', 'user', 'system', 'user']);
    expect(messages[2]?.content).toBe('# Environment: /tmp/project');
  });

  it('join systemInstruction for a Gemini upstream, and leave the turns alone', async () => {
    const res = await postJson(gw, '/v1/messages', { model: 'claude-haiku-4-5', ...claudeCodeConversation });
    expect(res.status).toBe(200);
    const body = lastBody() as {
      systemInstruction: { parts: { text: string }[] };
      contents: { role: string; parts: { text?: string }[] }[];
    };
    expect(body.systemInstruction.parts.map((p) => p.text)).toEqual([
      'You are terse.',
      '# Environment: /tmp/project',
    ]);
    expect(JSON.stringify(body.contents)).not.toContain('Environment');
  });

  it('join the top-level system prompt when an OpenAI client’s request goes to an Anthropic upstream', async () => {
    const res = await postJson(gw, '/v1/chat/completions', {
      model: 'claude-native',
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'context first' },
        { role: 'system', content: '# Environment: /tmp/project' },
        { role: 'user', content: 'Weather?' },
      ],
    });
    expect(res.status).toBe(200);
    const body = lastBody() as { system: { text: string }[]; messages: { role: string }[] };
    expect(body.system.map((p) => p.text)).toEqual(['You are terse.', '# Environment: /tmp/project']);
    expect(body.messages.map((m) => m.role)).toEqual(['user']);
    expect(JSON.stringify(body.messages)).not.toContain('Environment');
  });
});

describe('several text blocks in one turn, to a translated upstream', () => {
  /** A turn that lists files with a tool whose result is two text blocks, then `more` blocks. */
  const listFiles = (model: string, more: { type: 'text'; text: string }[] = []) =>
    postJson(gw, '/v1/messages', {
      model,
      max_tokens: 64,
      messages: [
        { role: 'user', content: 'List the files.' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'ls', input: {} }] },
        {
          role: 'user',
          content: [
            {
              type: 'tool_result',
              tool_use_id: 'toolu_1',
              content: [
                { type: 'text', text: 'a.txt' },
                { type: 'text', text: 'b.txt' },
              ],
            },
            ...more,
          ],
        },
      ],
    });

  it('keep a line break between them, in a user turn and in a tool result', async () => {
    const res = await listFiles('claude-sonnet-4-5', [
      { type: 'text', text: '<system-reminder>Be brief.</system-reminder>' },
      { type: 'text', text: 'Which is newer?' },
    ]);
    expect(res.status).toBe(200);
    const messages = lastBody().messages as { role: string; content: unknown }[];
    expect(messages.at(-2)).toMatchObject({ role: 'tool', tool_call_id: 'toolu_1', content: 'a.txt\nb.txt' });
    expect(messages.at(-1)).toEqual({
      role: 'user',
      content: '<system-reminder>Be brief.</system-reminder>\nWhich is newer?',
    });
  });

  it('keep a line break between a tool result’s text blocks for a Gemini upstream', async () => {
    const res = await listFiles('claude-haiku-4-5');
    expect(res.status).toBe(200);
    const contents = lastBody().contents as { parts: { functionResponse?: unknown }[] }[];
    expect(contents.at(-1)?.parts[0]?.functionResponse).toEqual({
      name: 'ls',
      response: { content: 'a.txt\nb.txt' },
    });
  });
});

describe('interleaved parallel tool calls from an OpenAI-format upstream, to an Anthropic client', () => {
  const params = {
    model: 'claude-sonnet-4-5',
    max_tokens: 256,
    tools: [tool],
    messages: [{ role: 'user' as const, content: 'Weather in Paris and Tokyo?' }],
  };

  it('arrive as two complete tool_use blocks through the Anthropic SDK', async () => {
    fake.enqueue({ kind: 'raw-sse', body: fixture('openai/interleaved-tool-calls.sse.txt') });
    const message = await client.messages.stream(params).finalMessage();
    expect(message.stop_reason).toBe('tool_use');
    expect(message.content).toEqual([
      { type: 'tool_use', id: 'call_paris', name: 'get_weather', input: { location: 'Paris' } },
      {
        type: 'tool_use',
        id: 'call_tokyo',
        name: 'get_weather',
        input: { location: 'Tokyo', unit: 'celsius' },
      },
    ]);
  });

  it('keep every argument when text comes in the middle of a tool call', async () => {
    const chunk = (delta: object, finish: string | null = null) =>
      `data: ${JSON.stringify({
        id: 'chatcmpl-mid',
        object: 'chat.completion.chunk',
        created: 1,
        model: 'deepseek-chat',
        choices: [{ index: 0, delta, finish_reason: finish }],
      })}\n\n`;
    const call = (args: string, head?: object) => ({
      tool_calls: [
        {
          index: 0,
          ...(head ?? {}),
          function: { ...(head ? { name: 'get_weather' } : {}), arguments: args },
        },
      ],
    });
    fake.enqueue({
      kind: 'raw-sse',
      body:
        chunk({ role: 'assistant', ...call('{"location":', { id: 'call_mid', type: 'function' }) }) +
        // Some upstreams send a bit of text with the next fragment.
        chunk({ content: '\n', ...call('"Paris"}') }) +
        chunk({}, 'tool_calls') +
        'data: [DONE]\n\n',
    });
    const message = await client.messages.stream(params).finalMessage();
    expect(message.stop_reason).toBe('tool_use');
    expect(message.content).toContainEqual({
      type: 'tool_use',
      id: 'call_mid',
      name: 'get_weather',
      input: { location: 'Paris' },
    });
    expect(message.content).toContainEqual(expect.objectContaining({ type: 'text', text: '\n' }));
  });

  it('never interleave blocks on the wire: each block starts, streams and stops before the next', async () => {
    fake.enqueue({ kind: 'raw-sse', body: fixture('openai/interleaved-tool-calls.sse.txt') });
    const res = await postJson(gw, '/v1/messages', { ...params, stream: true });
    const events = sseData(await res.text()).map((d) => JSON.parse(d) as Record<string, unknown>);
    let current = -1;
    const args = new Map<number, string>();
    for (const event of events) {
      if (event.type === 'content_block_start') {
        expect(current).toBe(-1);
        current = event.index as number;
        args.set(current, '');
      } else if (event.type === 'content_block_delta') {
        expect(event.index).toBe(current);
        const delta = event.delta as { partial_json: string };
        args.set(current, (args.get(current) ?? '') + delta.partial_json);
      } else if (event.type === 'content_block_stop') {
        expect(event.index).toBe(current);
        current = -1;
      }
    }
    expect([...args.values()].map((text) => JSON.parse(text))).toEqual([
      { location: 'Paris' },
      { location: 'Tokyo', unit: 'celsius' },
    ]);
  });
});

describe('a tool call an OpenAI-format upstream ends with finish_reason "stop" (forced tool_choice)', () => {
  // OpenAI (and vLLM) answer finish_reason "stop", not "tool_calls", when tool_choice names the
  // function. An Anthropic client's agent loop runs while stop_reason is tool_use.
  const params = {
    model: 'claude-sonnet-4-5',
    max_tokens: 256,
    tools: [tool],
    tool_choice: { type: 'tool' as const, name: 'get_weather' },
    messages: [{ role: 'user' as const, content: 'Weather in Paris?' }],
  };
  const chunk = (delta: object, finish: string | null = null) =>
    `data: ${JSON.stringify({
      id: 'chatcmpl-forced',
      object: 'chat.completion.chunk',
      created: 1,
      model: 'deepseek-chat',
      choices: [{ index: 0, delta, finish_reason: finish }],
    })}\n\n`;

  it('stops with tool_use when streamed', async () => {
    fake.enqueue({
      kind: 'raw-sse',
      body:
        chunk({
          role: 'assistant',
          tool_calls: [
            { index: 0, id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '' } },
          ],
        }) +
        chunk({ tool_calls: [{ index: 0, function: { arguments: '{"location":"Paris"}' } }] }) +
        chunk({}, 'stop') +
        'data: [DONE]\n\n',
    });
    const message = await client.messages.stream(params).finalMessage();
    expect(message.content).toEqual([
      { type: 'tool_use', id: 'call_1', name: 'get_weather', input: { location: 'Paris' } },
    ]);
    expect(message.stop_reason).toBe('tool_use');
  });

  it('stops with tool_use when not streamed', async () => {
    fake.enqueue({
      kind: 'status',
      status: 200,
      body: {
        id: 'chatcmpl-forced',
        object: 'chat.completion',
        created: 1,
        model: 'deepseek-chat',
        choices: [
          {
            index: 0,
            message: {
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
            finish_reason: 'stop',
          },
        ],
        usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
      },
    });
    const message = await client.messages.create(params);
    expect(message.content).toEqual([
      { type: 'tool_use', id: 'call_1', name: 'get_weather', input: { location: 'Paris' } },
    ]);
    expect(message.stop_reason).toBe('tool_use');
  });

  it('a plain text answer ending with "stop" still ends the turn', async () => {
    const message = await client.messages.create({
      model: params.model,
      max_tokens: 256,
      messages: params.messages,
    });
    expect(message.stop_reason).toBe('end_turn');
  });
});

describe('GET /v1/models for Anthropic clients', () => {
  it('answers in Anthropic’s list shape when the client sends anthropic-version (the Anthropic SDK)', async () => {
    const page = await client.models.list();
    expect(page.data.length).toBeGreaterThan(2);
    for (const model of page.data) {
      expect(model).toMatchObject({ type: 'model', display_name: model.id });
      expect(Number.isNaN(Date.parse(model.created_at))).toBe(false);
    }
    const ids = page.data.map((m) => m.id);
    expect(ids).toContain('deepseek-chat');
    expect(ids).toContain('claude-native');
    expect(page.first_id).toBe(ids[0]);
    expect(page.last_id).toBe(ids.at(-1));
    expect(page.has_more).toBe(false);

    const paged: string[] = [];
    for await (const model of client.models.list({ limit: 2 })) paged.push(model.id);
    expect(paged).toEqual(ids);

    const one = await client.models.retrieve('deepseek-chat');
    expect(one).toMatchObject({ type: 'model', id: 'deepseek-chat' });
  });

  // Claude Code looks up the model it was given (ANTHROPIC_MODEL, often an alias) before using it.
  it('retrieves a model alias the key can use, exact or by glob', async () => {
    expect(await client.models.retrieve('claude-sonnet-4-5')).toMatchObject({
      type: 'model',
      id: 'claude-sonnet-4-5',
    });
    expect(await client.models.retrieve('claude-haiku-4-5')).toMatchObject({
      type: 'model',
      id: 'claude-haiku-4-5',
    });
    const res = await fetch(`${gw.url}/v1/models/claude-sonnet-4-5`, {
      headers: { authorization: `Bearer ${gw.key}` },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id: 'claude-sonnet-4-5', object: 'model' });
  });

  it('retrieves an alias for a key limited to its target, and not for a key limited to other models', async () => {
    const target = new Anthropic({
      apiKey: await gw.createKey({ name: 'deepseek-only', models: ['deepseek-chat'] }),
      baseURL: gw.url,
      maxRetries: 0,
    });
    expect(await target.models.retrieve('claude-sonnet-4-5')).toMatchObject({ id: 'claude-sonnet-4-5' });
    const other = new Anthropic({
      apiKey: await gw.createKey({ name: 'gemini-only', models: ['gemini-2.5-flash'] }),
      baseURL: gw.url,
      maxRetries: 0,
    });
    await expect(other.models.retrieve('claude-sonnet-4-5')).rejects.toMatchObject({ status: 404 });
  });

  it('answers an unknown model in Anthropic’s error shape', async () => {
    await expect(client.models.retrieve('no-such-model')).rejects.toMatchObject({
      status: 404,
      error: { type: 'error', error: { type: 'not_found_error' } },
    });
  });

  it('keeps the OpenAI shape for everyone else', async () => {
    const res = await fetch(`${gw.url}/v1/models`, { headers: { authorization: `Bearer ${gw.key}` } });
    const body = (await res.json()) as { object: string; data: { object: string }[] };
    expect(body.object).toBe('list');
    expect(body.data[0]?.object).toBe('model');
  });
});

describe('tool call ids Anthropic refuses (Kimi names its calls functions.get_weather:0)', () => {
  const kimiId = 'functions.get_weather:0';
  /** Anthropic's rule for a tool_use id: it refuses the whole request otherwise. */
  const anthropicId = /^[a-zA-Z0-9_-]+$/;
  const params = {
    model: 'claude-sonnet-4-5',
    max_tokens: 256,
    tools: [tool],
    messages: [{ role: 'user' as const, content: 'Weather in Paris?' }],
  };
  const call = { name: 'get_weather', arguments: '{"location":"Paris"}' };
  const kimiChunk = (delta: object, finish: string | null = null) =>
    `data: ${JSON.stringify({
      id: 'chatcmpl-kimi',
      object: 'chat.completion.chunk',
      created: 1,
      model: 'kimi-k2',
      choices: [{ index: 0, delta, finish_reason: finish }],
    })}\n\n`;

  /** The next turn as Claude Code sends it: the tool_use it got back, and its result. */
  const nextTurn = (content: Anthropic.ContentBlock[], id: string) => ({
    ...params,
    messages: [
      ...params.messages,
      { role: 'assistant' as const, content: content as Anthropic.ContentBlockParam[] },
      {
        role: 'user' as const,
        content: [{ type: 'tool_result' as const, tool_use_id: id, content: '18 °C' }],
      },
    ],
  });
  const sentIds = () => {
    const messages = lastBody().messages as {
      role: string;
      tool_calls?: { id: string }[];
      tool_call_id?: string;
    }[];
    return {
      call: messages.find((m) => m.role === 'assistant')?.tool_calls?.[0]?.id,
      result: messages.find((m) => m.role === 'tool')?.tool_call_id,
    };
  };

  it('reach an Anthropic client as ids Anthropic accepts, and go back upstream as the upstream wrote them', async () => {
    fake.enqueue({
      kind: 'status',
      status: 200,
      body: {
        id: 'chatcmpl-kimi',
        object: 'chat.completion',
        created: 1,
        model: 'kimi-k2',
        choices: [
          {
            index: 0,
            message: {
              role: 'assistant',
              content: null,
              tool_calls: [{ id: kimiId, type: 'function', function: call }],
            },
            finish_reason: 'tool_calls',
          },
        ],
        usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
      },
    });
    const first = await client.messages.create(params);
    const toolUse = first.content.find((b) => b.type === 'tool_use');
    expect(toolUse?.id).toMatch(anthropicId);
    await client.messages.create(nextTurn(first.content, toolUse?.id ?? ''));
    expect(sentIds()).toEqual({ call: kimiId, result: kimiId });
  });

  it('do the same when the tool call is streamed', async () => {
    fake.enqueue({
      kind: 'raw-sse',
      body:
        kimiChunk({
          role: 'assistant',
          tool_calls: [
            { index: 0, id: kimiId, type: 'function', function: { name: call.name, arguments: '' } },
          ],
        }) +
        kimiChunk({ tool_calls: [{ index: 0, function: { arguments: call.arguments } }] }) +
        kimiChunk({}, 'tool_calls') +
        'data: [DONE]\n\n',
    });
    const first = await client.messages.stream(params).finalMessage();
    const toolUse = first.content.find((b) => b.type === 'tool_use');
    expect(toolUse?.id).toMatch(anthropicId);
    await client.messages.create(nextTurn(first.content, toolUse?.id ?? ''));
    expect(sentIds()).toEqual({ call: kimiId, result: kimiId });
  });

  it('reach an Anthropic upstream as ids it accepts, the call and its result still paired', async () => {
    const res = await postJson(gw, '/v1/chat/completions', {
      model: 'claude-native',
      messages: [
        { role: 'user', content: 'Weather in Paris?' },
        { role: 'assistant', content: null, tool_calls: [{ id: kimiId, type: 'function', function: call }] },
        { role: 'tool', tool_call_id: kimiId, content: '18 °C' },
      ],
    });
    expect(res.status).toBe(200);
    const messages = lastBody().messages as {
      content: { type: string; id?: string; tool_use_id?: string }[];
    }[];
    const toolUse = messages[1]?.content.find((b) => b.type === 'tool_use');
    const toolResult = messages[2]?.content.find((b) => b.type === 'tool_result');
    expect(toolUse?.id).toMatch(anthropicId);
    expect(toolResult?.tool_use_id).toBe(toolUse?.id);
  });

  it('leave ids Anthropic accepts as they are', async () => {
    await client.messages.create(
      nextTurn(
        [{ type: 'tool_use', id: 'sbid', name: 'get_weather', input: {} } as Anthropic.ContentBlock],
        'sbid',
      ),
    );
    expect(sentIds()).toEqual({ call: 'sbid', result: 'sbid' });
  });
});
