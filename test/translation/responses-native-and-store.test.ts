import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI from 'openai';
import type { ResponseStreamEvent } from 'openai/resources/responses/responses';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createClientKey } from '../../src/auth/key-service.js';
import { FAKE_SIGNATURE, FAKE_THINKING } from '../fake-upstream/anthropic-format.js';
import { RESPONSES_USAGE } from '../fake-upstream/responses-format.js';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';
import { waitFor } from '../support/http.js';
import { channel, startTestGateway, type TestGateway } from '../support/start-gateway.js';

const FIXTURES = join(import.meta.dirname, '../fixtures/responses');
const fixture = (name: string) => readFileSync(join(FIXTURES, name), 'utf8');
const DAY = 86_400_000;

let fake: FakeUpstream;
let gw: TestGateway;
let client: OpenAI;
let other: OpenAI;
let clock = Date.now();

beforeAll(async () => {
  fake = await startFakeUpstream();
  gw = await startTestGateway(
    {
      channels: [
        channel({
          name: 'native',
          provider: 'openai',
          base_url: fake.baseUrl,
          keys: ['oa-key'],
          models: ['gpt-native'],
        }),
        channel({ name: 'chat', base_url: fake.baseUrl, keys: ['dc-key'], models: ['deepseek-chat'] }),
        channel({
          name: 'an',
          provider: 'anthropic',
          base_url: `${fake.url}/v1`,
          keys: ['an-key'],
          models: ['claude-native'],
        }),
      ],
      responses: { store_ttl_days: 30 },
    },
    {},
    { now: () => clock },
  );
  client = new OpenAI({ apiKey: gw.key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
  const second = await createClientKey(gw.node.storage.keys, { name: 'second tenant' });
  other = new OpenAI({ apiKey: second.secret, baseURL: `${gw.url}/v1`, maxRetries: 0 });
});
afterAll(async () => {
  await gw?.close();
  await fake?.close();
});
beforeEach(() => fake.reset());

const post = (body: unknown, key = gw.key) =>
  fetch(`${gw.url}/v1/responses`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

describe('native relay to a provider that speaks the Responses API', () => {
  it('forwards the client’s bytes to /responses and relays the JSON answer with its usage', async () => {
    const body = JSON.stringify({ model: 'gpt-native', input: 'Hi', tools: [{ type: 'web_search' }] });
    const res = await fetch(`${gw.url}/v1/responses`, {
      method: 'POST',
      headers: { authorization: `Bearer ${gw.key}`, 'content-type': 'application/json' },
      body,
    });
    expect(res.status).toBe(200);
    const sent = fake.requests.at(-1);
    expect(sent?.path).toBe('/v1/responses');
    expect(sent?.body).toBe(body);
    expect(await res.text()).toBe(Buffer.concat(sent?.sent ?? []).toString('utf8'));
    const record = gw.usage.at(-1);
    expect(record?.usage).toMatchObject({
      promptTokens: RESPONSES_USAGE.input_tokens,
      completionTokens: RESPONSES_USAGE.output_tokens,
      cachedTokens: 20_000,
      reasoningTokens: 5_000,
    });
  });

  it.each([
    ['text.sse.txt', 'Hi there! How can I assist you today?', { promptTokens: 37, completionTokens: 11 }],
    ['function-call.sse.txt', '', { promptTokens: 291, completionTokens: 23 }],
    [
      'reasoning-summary.sse.txt',
      'The capital of France is Paris.',
      { promptTokens: 13, reasoningTokens: 192 },
    ],
  ])('replays the recorded stream %s byte for byte and reads its usage', async (name, text, usage) => {
    const recorded = fixture(name);
    fake.enqueue({ kind: 'raw-sse', body: recorded });
    const stream = await client.responses.create({ model: 'gpt-native', input: 'Hi', stream: true });
    const events: ResponseStreamEvent[] = [];
    for await (const event of stream) events.push(event);
    const deltas = events.flatMap((e) => (e.type === 'response.output_text.delta' ? [e.delta] : []));
    expect(deltas.join('')).toBe(text);
    expect(events.at(-1)?.type).toBe('response.completed');
    expect(gw.usage.at(-1)?.usage).toMatchObject(usage);
    // Stored under the upstream's own id, readable with GET.
    const done = events.at(-1);
    if (done?.type !== 'response.completed') throw new Error('no response.completed');
    const stored = await client.responses.retrieve(done.response.id);
    expect(stored.id).toBe(done.response.id);
  });

  const event = (type: string, data: object) =>
    `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
  for (const [name, last] of [
    [
      'response.failed',
      event('response.failed', {
        response: {
          id: 'resp_1',
          object: 'response',
          status: 'failed',
          error: { code: 'server_error', message: 'The model failed.' },
          usage: null,
        },
      }),
    ],
    ['error', event('error', { code: 'server_error', message: 'The model failed.', param: null })],
  ] as const)
    it(`records a stream that ends in ${name} as failed, relaying its bytes unchanged`, async () => {
      const body =
        event('response.created', { response: { id: 'resp_1', object: 'response', status: 'in_progress' } }) +
        event('response.output_text.delta', {
          item_id: 'm',
          output_index: 0,
          content_index: 0,
          delta: 'Hel',
        }) +
        last;
      fake.enqueue({ kind: 'raw-sse', body });
      const before = gw.usage.length;
      const res = await post({ model: 'gpt-native', input: 'Hi', stream: true });
      expect(await res.text()).toBe(body);
      const record = await waitFor(() => gw.usage.length > before && gw.usage.at(-1), 'the usage record');
      expect([record.status, record.errorCode]).toEqual([502, 'upstream_stream_error']);
    });

  it('relays a stream whose events name their type in the data only as a whole answer', async () => {
    // A Responses-speaking server behind an `openai` channel that writes no `event:` lines.
    const data = (type: string, rest: object) => `data: ${JSON.stringify({ type, ...rest })}\n\n`;
    const response = { id: 'resp_2', object: 'response', model: 'gpt-native', output: [] };
    const body =
      data('response.created', { response: { ...response, status: 'in_progress' } }) +
      data('response.output_text.delta', {
        item_id: 'm',
        output_index: 0,
        content_index: 0,
        delta: 'Hello',
      }) +
      data('response.completed', {
        response: {
          ...response,
          status: 'completed',
          usage: { input_tokens: 5, output_tokens: 1, total_tokens: 6 },
        },
      });
    fake.enqueue({ kind: 'raw-sse', body });
    const before = gw.usage.length;
    const res = await post({ model: 'gpt-native', input: 'Hi', stream: true });
    expect(await res.text()).toBe(body);
    const record = await waitFor(() => gw.usage.length > before && gw.usage.at(-1), 'the usage record');
    expect([record.status, record.errorCode]).toEqual([200, null]);
  });

  it('ends a stream the upstream closes before response.completed with an error event', async () => {
    const body =
      event('response.created', { response: { id: 'resp_3', object: 'response', status: 'in_progress' } }) +
      event('response.output_text.delta', { item_id: 'm', output_index: 0, content_index: 0, delta: 'Hel' });
    fake.enqueue({ kind: 'raw-sse', body });
    const before = gw.usage.length;
    const res = await post({ model: 'gpt-native', input: 'Hi', stream: true });
    const text = await res.text();
    expect(text.startsWith(body)).toBe(true);
    expect(text.slice(body.length)).toMatch(/^event: error\n.*before the answer was complete/);
    const record = await waitFor(() => gw.usage.length > before && gw.usage.at(-1), 'the usage record');
    expect([record.status, record.errorCode]).toEqual([502, 'upstream_stream_error']);
  });

  it('answers the raw bytes of a recorded stream unchanged', async () => {
    const recorded = fixture('text.sse.txt');
    fake.enqueue({ kind: 'raw-sse', body: recorded });
    const res = await post({ model: 'gpt-native', input: 'Hi', stream: true });
    expect(await res.text()).toBe(recorded);
  });
});

describe('translated answers', () => {
  it('ends a stream cut by max tokens as response.incomplete', async () => {
    const chunk = (delta: object, finish: string | null) =>
      `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'deepseek-chat', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
    fake.enqueue({
      kind: 'raw-sse',
      body: `${chunk({ role: 'assistant', content: 'Once upon' }, null)}${chunk({}, 'length')}data: [DONE]\n\n`,
    });
    const stream = await client.responses.create({
      model: 'deepseek-chat',
      input: 'Tell a story',
      stream: true,
    });
    const events: ResponseStreamEvent[] = [];
    for await (const event of stream) events.push(event);
    const last = events.at(-1);
    expect(last?.type).toBe('response.incomplete');
    if (last?.type !== 'response.incomplete') throw new Error('not incomplete');
    expect(last.response.incomplete_details?.reason).toBe('max_output_tokens');
  });

  it('streams Anthropic thinking as reasoning summary events and sends its signature back next turn', async () => {
    const stream = await client.responses.create({
      model: 'claude-native',
      input: 'Weather?',
      reasoning: { effort: 'low', summary: 'auto' },
      stream: true,
    });
    const events: ResponseStreamEvent[] = [];
    for await (const event of stream) events.push(event);
    const types = events.map((e) => e.type);
    for (const type of [
      'response.reasoning_summary_part.added',
      'response.reasoning_summary_text.delta',
      'response.reasoning_summary_text.done',
      'response.reasoning_summary_part.done',
    ])
      expect(types).toContain(type);
    const summary = events.flatMap((e) =>
      e.type === 'response.reasoning_summary_text.delta' ? [e.delta] : [],
    );
    expect(summary.join('')).toBe(FAKE_THINKING);
    expect(JSON.stringify(fake.requests.at(-1)?.json)).toContain('"thinking"');
    const done = events.at(-1);
    if (done?.type !== 'response.completed') throw new Error('no response.completed');
    await client.responses.create({
      model: 'claude-native',
      input: 'And tomorrow?',
      previous_response_id: done.response.id,
    });
    expect(JSON.stringify(fake.requests.at(-1)?.json)).toContain(FAKE_SIGNATURE);
  });

  it('maps text.format json_schema to the upstream’s response_format', async () => {
    await client.responses.create({
      model: 'deepseek-chat',
      input: 'A person',
      text: { format: { type: 'json_schema', name: 'person', schema: { type: 'object' }, strict: true } },
    });
    expect(fake.requests.at(-1)?.json?.response_format).toEqual({
      type: 'json_schema',
      json_schema: { name: 'person', schema: { type: 'object' }, strict: true },
    });
  });
});

describe('stored responses', () => {
  it('gives one tenant’s response to that tenant only (GET, input_items, DELETE → 404 for another)', async () => {
    const mine = await client.responses.create({ model: 'deepseek-chat', input: 'secret plans' });
    const status = async (p: Promise<unknown>) =>
      p.then(
        () => 200,
        (err: { status?: number }) => err.status,
      );
    expect(await status(other.responses.retrieve(mine.id))).toBe(404);
    expect(await status(other.responses.inputItems.list(mine.id))).toBe(404);
    expect(await status(other.responses.delete(mine.id))).toBe(404);
    const res = await fetch(`${gw.url}/v1/responses/${mine.id}`, {
      headers: { authorization: `Bearer ${(other as unknown as { apiKey: string }).apiKey}` },
    });
    const envelope = (await res.json()) as { error: { type: string; message: string } };
    expect(envelope.error.type).toBe('invalid_request_error');
    expect(envelope.error.message).toContain(mine.id);
    // The other tenant cannot continue it either.
    expect(
      await status(
        other.responses.create({ model: 'deepseek-chat', input: 'x', previous_response_id: mine.id }),
      ),
    ).toBe(404);

    expect((await client.responses.retrieve(mine.id)).output_text).toBe('fake answer from deepseek-chat');
    const items = await client.responses.inputItems.list(mine.id);
    expect(items.data).toHaveLength(1);
    expect(JSON.stringify(items.data[0])).toContain('secret plans');
    await client.responses.delete(mine.id);
    expect(await status(client.responses.retrieve(mine.id))).toBe(404);
  });

  it('pages input items with limit, order and after', async () => {
    const first = await client.responses.create({ model: 'deepseek-chat', input: 'one' });
    const second = await client.responses.create({
      model: 'deepseek-chat',
      input: [
        { role: 'user', content: 'two' },
        { role: 'user', content: 'three' },
      ],
      previous_response_id: first.id,
    });
    const url = (q: string) => `${gw.url}/v1/responses/${second.id}/input_items${q}`;
    const get = async (q: string) =>
      (await (await fetch(url(q), { headers: { authorization: `Bearer ${gw.key}` } })).json()) as {
        object: string;
        data: { id: string }[];
        first_id: string;
        last_id: string;
        has_more: boolean;
      };
    const all = await get('?order=asc');
    expect(all.object).toBe('list');
    expect(all.data).toHaveLength(4);
    expect(JSON.stringify(all.data)).toMatch(/one.*fake answer.*two.*three/s);
    const page = await get('?order=asc&limit=2');
    expect(page.data.map((d) => d.id)).toEqual(all.data.slice(0, 2).map((d) => d.id));
    expect(page.has_more).toBe(true);
    expect(page.first_id).toBe(all.data[0]?.id);
    const rest = await get(`?order=asc&limit=2&after=${page.last_id}`);
    expect(rest.data.map((d) => d.id)).toEqual(all.data.slice(2).map((d) => d.id));
    expect(rest.has_more).toBe(false);
    expect((await get('?limit=1')).data[0]?.id).toBe(all.data[3]?.id);
    const bad = await fetch(url('?limit=0'), { headers: { authorization: `Bearer ${gw.key}` } });
    expect(bad.status).toBe(400);
  });

  it('forgets a response after the TTL, and does not keep one sent with store: false', async () => {
    const kept = await client.responses.create({ model: 'deepseek-chat', input: 'keep me' });
    const unkept = await client.responses.create({
      model: 'deepseek-chat',
      input: 'forget me',
      store: false,
    });
    const status = async (p: Promise<unknown>) =>
      p.then(
        () => 200,
        (err: { status?: number }) => err.status,
      );
    expect(await status(client.responses.retrieve(unkept.id))).toBe(404);
    expect(await status(client.responses.retrieve(kept.id))).toBe(200);
    clock += 31 * DAY;
    try {
      expect(await status(client.responses.retrieve(kept.id))).toBe(404);
      expect(
        await status(
          client.responses.create({ model: 'deepseek-chat', input: 'x', previous_response_id: kept.id }),
        ),
      ).toBe(404);
    } finally {
      clock -= 31 * DAY;
    }
  });
});

describe('bad requests', () => {
  // The image_generation tool runs the model it names, billed to the upstream account: a key
  // limited to some models named any model there.
  it('refuses a tool naming a model the key may not use, and relays one naming a model it may', async () => {
    const { secret } = await createClientKey(gw.node.storage.keys, {
      name: 'native only',
      models: ['gpt-native'],
    });
    const draw = (model: string) =>
      post({ model: 'gpt-native', input: 'a cat', tools: [{ type: 'image_generation', model }] }, secret);
    const refused = await draw('deepseek-chat');
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: unknown }).error).toMatchObject({
      code: 'model_not_allowed',
      param: 'tools[0].model',
    });
    expect(fake.requests).toHaveLength(0);
    const allowed = await draw('gpt-native');
    expect(allowed.status).toBe(200);
    expect(fake.requests).toHaveLength(1);
  });

  it('refuses a built-in tool on an upstream without it, naming the tool type', async () => {
    const res = await post({ model: 'deepseek-chat', input: 'news?', tools: [{ type: 'web_search' }] });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { message: string; param: string } };
    expect(body.error.message).toContain('web_search');
    expect(body.error.param).toBe('tools[0].type');
    expect(fake.requests).toHaveLength(0);
  });

  it.each([
    [{ input: 'x' }, 'model'],
    [{ model: 'deepseek-chat' }, 'input'],
    [{ model: 'deepseek-chat', input: 5 }, 'input'],
    [{ model: 'deepseek-chat', input: [{ role: 'robot', content: 'x' }] }, 'input[0].role'],
    [
      { model: 'deepseek-chat', input: [{ type: 'function_call', name: 'f', arguments: '{}' }] },
      'input[0].call_id',
    ],
    [{ model: 'deepseek-chat', input: 'x', text: { format: { type: 'yaml' } } }, 'text.format.type'],
    [{ model: 'deepseek-chat', input: 'x', max_output_tokens: -1 }, 'max_output_tokens'],
    [{ model: 'deepseek-chat', input: 'x', reasoning: { effort: 'huge' } }, 'reasoning.effort'],
    [{ model: 'deepseek-chat', input: 'x', tools: [{ type: 'function' }] }, 'tools[0].name'],
    [{ model: 'deepseek-chat', input: 'x', stream: 'yes' }, 'stream'],
  ])('answers 400 naming the field for %j', async (body, param) => {
    const res = await post(body);
    expect(res.status).toBe(400);
    const envelope = (await res.json()) as { error: { param: string; message: string } };
    expect(envelope.error.param).toBe(param);
    expect(envelope.error.message).toContain(param);
  });

  it('answers 404 for an unknown previous_response_id', async () => {
    const res = await post({ model: 'deepseek-chat', input: 'x', previous_response_id: 'resp_nope' });
    expect(res.status).toBe(404);
    const envelope = (await res.json()) as { error: { param: string } };
    expect(envelope.error.param).toBe('previous_response_id');
  });
});
