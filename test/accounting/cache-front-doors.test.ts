import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';
import {
  anthropicChannel,
  channel,
  geminiChannel,
  startTestGateway,
  type TestGateway,
} from '../support/start-gateway.js';

/** The response cache seen from the Anthropic and Gemini front doors. */
let fake: FakeUpstream;
let gw: TestGateway;
beforeAll(async () => {
  fake = await startFakeUpstream();
  gw = await startTestGateway({
    channels: [
      anthropicChannel(fake.url, ['claude-native']),
      geminiChannel(fake.url, ['gemini-2.5-flash']),
      channel({ name: 'oa', base_url: `${fake.url}/v1`, keys: ['oa-key'], models: ['gpt-4o'] }),
    ],
    routing: { max_attempts: 1 },
    cache: { enabled: true, ttl_seconds: 600 },
  });
});
afterEach(() => fake.reset());
afterAll(async () => {
  await gw.close();
  await fake.close();
});

async function cacheHeader(res: Response): Promise<string | null> {
  await res.text();
  await gw.node.drainDeferred();
  return res.headers.get('x-switchboard-cache');
}

describe('/v1/messages: the Anthropic headers forwarded upstream are part of the key', () => {
  const send = (content: string, extra: Record<string, string>) =>
    fetch(`${gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': gw.key, 'content-type': 'application/json', ...extra },
      body: JSON.stringify({
        model: 'claude-native',
        max_tokens: 64,
        temperature: 0,
        messages: [{ role: 'user', content }],
      }),
    });

  it('an answer made without a beta is not replayed to a request that asks for one', async () => {
    expect(await cacheHeader(await send('beta and the cache', {}))).toBe('miss');
    const beta = await send('beta and the cache', { 'anthropic-beta': 'interleaved-thinking-2025-05-14' });
    expect(await cacheHeader(beta)).toBe('miss');
    expect(fake.requests.map((r) => r.headers['anthropic-beta'])).toEqual([
      undefined,
      'interleaved-thinking-2025-05-14',
    ]);
    const version = await send('beta and the cache', { 'anthropic-version': '2023-01-01' });
    expect(await cacheHeader(version)).toBe('miss');
    expect(fake.requests).toHaveLength(3);
  });

  it('the same betas, in any order, share the entry', async () => {
    const first = await send('two betas', { 'anthropic-beta': 'a-2025-01-01,b-2025-02-02' });
    expect(await cacheHeader(first)).toBe('miss');
    const again = await send('two betas', { 'anthropic-beta': 'b-2025-02-02, a-2025-01-01' });
    expect(await cacheHeader(again)).toBe('hit');
    expect(fake.requests).toHaveLength(1);
  });
});

describe('Gemini: the temperature lives in generationConfig', () => {
  const send = (text: string, body: Record<string, unknown>) =>
    fetch(`${gw.url}/v1beta/models/gemini-2.5-flash:generateContent`, {
      method: 'POST',
      headers: { 'x-goog-api-key': gw.key, 'content-type': 'application/json' },
      body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text }] }], ...body }),
    });

  it('a deterministic request (generationConfig.temperature 0) is cached', async () => {
    const body = { generationConfig: { temperature: 0 } };
    expect(await cacheHeader(await send('gemini and the cache', body))).toBe('miss');
    expect(await cacheHeader(await send('gemini and the cache', body))).toBe('hit');
    expect(fake.requests).toHaveLength(1);
  });

  it('a sampled one is not, whatever a stray top-level temperature says', async () => {
    const body = { temperature: 0, generationConfig: { temperature: 1.5 } };
    expect(await cacheHeader(await send('sampled gemini', body))).toBe('bypass');
    expect(await cacheHeader(await send('sampled gemini', body))).toBe('bypass');
    expect(fake.requests).toHaveLength(2);
  });
});

// A web search, a page fetched, code run upstream: the answer is of the moment. At temperature 0
// it was cached like any other, and a repeat got yesterday's search for the whole TTL.
describe('a request whose tools run upstream (web search, code, MCP) is not cached', () => {
  const asked = (path: string, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
    fetch(`${gw.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${gw.key}`, 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
  const claude = (extra: Record<string, unknown>) => ({
    model: 'claude-native',
    max_tokens: 64,
    temperature: 0,
    messages: [{ role: 'user', content: `news today ${JSON.stringify(extra)}` }],
    ...extra,
  });
  const gemini = (tool: Record<string, unknown>) => ({
    contents: [{ role: 'user', parts: [{ text: `news today ${JSON.stringify(tool)}` }] }],
    generationConfig: { temperature: 0 },
    tools: [tool],
  });
  const cases: [string, string, Record<string, unknown>][] = [
    [
      'OpenAI web_search_options',
      '/v1/chat/completions',
      {
        model: 'gpt-4o',
        temperature: 0,
        web_search_options: {},
        messages: [{ role: 'user', content: 'news today' }],
      },
    ],
    [
      'an OpenAI hosted web_search tool',
      '/v1/chat/completions',
      {
        model: 'gpt-4o',
        temperature: 0,
        tools: [{ type: 'web_search_preview' }],
        messages: [{ role: 'user', content: 'news today, hosted' }],
      },
    ],
    [
      'an Anthropic web search server tool',
      '/v1/messages',
      claude({ tools: [{ type: 'web_search_20250305', name: 'web_search', max_uses: 3 }] }),
    ],
    [
      'an Anthropic code execution server tool',
      '/v1/messages',
      claude({ tools: [{ type: 'code_execution_20250522', name: 'code_execution' }] }),
    ],
    [
      'Anthropic MCP servers',
      '/v1/messages',
      claude({ mcp_servers: [{ type: 'url', url: 'https://mcp.example/sse', name: 'ex' }] }),
    ],
    ['Gemini googleSearch', '/v1beta/models/gemini-2.5-flash:generateContent', gemini({ googleSearch: {} })],
    [
      'Gemini codeExecution',
      '/v1beta/models/gemini-2.5-flash:generateContent',
      gemini({ codeExecution: {} }),
    ],
    ['Gemini url_context', '/v1beta/models/gemini-2.5-flash:generateContent', gemini({ url_context: {} })],
  ];

  it.each(cases)('%s: every repeat goes upstream', async (_name, path, body) => {
    expect(await cacheHeader(await asked(path, body))).toBe('bypass');
    expect(await cacheHeader(await asked(path, body))).toBe('bypass');
    expect(fake.requests).toHaveLength(2);
  });

  it('unless the client asks for it (x-switchboard-cache: on)', async () => {
    const body = claude({ tools: [{ type: 'web_fetch_20250910', name: 'web_fetch' }] });
    const optIn = { 'x-switchboard-cache': 'on' };
    expect(await cacheHeader(await asked('/v1/messages', body, optIn))).toBe('miss');
    expect(await cacheHeader(await asked('/v1/messages', body, optIn))).toBe('hit');
    expect(fake.requests).toHaveLength(1);
  });

  it('tools the client runs do not keep an answer out', async () => {
    const body = claude({
      tools: [
        { name: 'lookup', input_schema: { type: 'object' } },
        { type: 'bash_20250124', name: 'bash' },
      ],
    });
    expect(await cacheHeader(await asked('/v1/messages', body))).toBe('miss');
    expect(await cacheHeader(await asked('/v1/messages', body))).toBe('hit');
    expect(fake.requests).toHaveLength(1);
  });
});

// Gemini sometimes answers 200 with nothing in it (no candidates) or with a tool call it could
// not make (MALFORMED_FUNCTION_CALL): valid JSON, so it was kept, and every repeat got the glitch
// from the cache for the whole TTL where asking again would usually have worked.
describe('an empty or failed Gemini answer is not kept', () => {
  const glitches: [string, Record<string, unknown>][] = [
    ['no candidates', { candidates: [], usageMetadata: { promptTokenCount: 5, totalTokenCount: 5 } }],
    ['an empty body', {}],
    [
      'a malformed function call',
      { candidates: [{ content: { role: 'model' }, finishReason: 'MALFORMED_FUNCTION_CALL', index: 0 }] },
    ],
  ];

  it.each(glitches)('to a Gemini client: %s', async (_name, glitch) => {
    const send = () =>
      fetch(`${gw.url}/v1beta/models/gemini-2.5-flash:generateContent`, {
        method: 'POST',
        headers: { 'x-goog-api-key': gw.key, 'content-type': 'application/json' },
        body: JSON.stringify({
          contents: [{ role: 'user', parts: [{ text: `glitch ${JSON.stringify(glitch)}` }] }],
          generationConfig: { temperature: 0 },
        }),
      });
    fake.enqueue({ kind: 'status', status: 200, body: glitch });
    const first = await send();
    expect(first.status).toBe(200);
    expect(await cacheHeader(first)).toBe('miss');
    // Asked again, the upstream answers; that answer is the one kept.
    expect(await cacheHeader(await send())).toBe('miss');
    expect(await cacheHeader(await send())).toBe('hit');
    expect(fake.requests).toHaveLength(2);
  });

  // The same glitches streamed to a Gemini client, relayed from a Gemini channel: the stream ends
  // cleanly, so it was kept whole and replayed.
  const frames = (...chunks: unknown[]) => chunks.map((c) => `data: ${JSON.stringify(c)}\r\n\r\n`).join('');
  const streamedGlitches: [string, string][] = [
    [
      'a malformed function call',
      frames({
        candidates: [{ content: { role: 'model' }, finishReason: 'MALFORMED_FUNCTION_CALL', index: 0 }],
      }),
    ],
    [
      'text, then a malformed function call',
      frames(
        { candidates: [{ content: { role: 'model', parts: [{ text: 'Let me look' }] }, index: 0 }] },
        { candidates: [{ content: { role: 'model' }, finishReason: 'MALFORMED_FUNCTION_CALL', index: 0 }] },
      ),
    ],
    ['a candidate with nothing in it', frames({ candidates: [{ finishReason: 'STOP', index: 0 }] })],
    [
      'no candidates (a blocked prompt)',
      frames({ promptFeedback: { blockReason: 'OTHER' }, usageMetadata: { promptTokenCount: 5 } }),
    ],
  ];
  const streamTo = (path: string, text: string) =>
    fetch(`${gw.url}/v1beta/models/gemini-2.5-flash:${path}`, {
      method: 'POST',
      headers: { 'x-goog-api-key': gw.key, 'content-type': 'application/json' },
      body: JSON.stringify({
        contents: [{ role: 'user', parts: [{ text }] }],
        generationConfig: { temperature: 0 },
      }),
    });

  it.each(streamedGlitches)('streamed to a Gemini client (alt=sse): %s', async (name, glitch) => {
    const send = () => streamTo('streamGenerateContent?alt=sse', `streamed glitch: ${name}`);
    fake.enqueue({ kind: 'raw-sse', body: glitch });
    const first = await send();
    expect(first.status).toBe(200);
    expect(await cacheHeader(first)).toBe('miss');
    const again = await send();
    expect(await cacheHeader(again)).toBe('miss');
    const replayed = await send();
    expect(replayed.headers.get('x-switchboard-cache')).toBe('hit');
    // The answer kept is the upstream's second one (the fake's, streamed word by word).
    expect(await replayed.text()).toContain('{"text":"answer "}');
    expect(fake.requests).toHaveLength(2);
  });

  it('streamed to a Gemini client as one JSON array: a malformed function call', async () => {
    const send = () => streamTo('streamGenerateContent', 'streamed glitch, JSON array');
    fake.enqueue({ kind: 'raw-sse', body: streamedGlitches[0]?.[1] ?? '' });
    const first = await send();
    expect(first.status).toBe(200);
    expect(await cacheHeader(first)).toBe('miss');
    expect(await cacheHeader(await send())).toBe('miss');
    expect(await cacheHeader(await send())).toBe('hit');
    expect(fake.requests).toHaveLength(2);
  });

  it('a streamed answer that ends normally is kept', async () => {
    const send = () => streamTo('streamGenerateContent?alt=sse', 'streamed and short');
    fake.enqueue({
      kind: 'raw-sse',
      body: frames({
        candidates: [{ content: { role: 'model', parts: [{ text: 'No.' }] }, finishReason: 'STOP' }],
      }),
    });
    expect(await cacheHeader(await send())).toBe('miss');
    const replayed = await send();
    expect(replayed.headers.get('x-switchboard-cache')).toBe('hit');
    expect(await replayed.text()).toContain('No.');
    expect(fake.requests).toHaveLength(1);
  });

  it('to an OpenAI client: no candidates', async () => {
    const send = () =>
      fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${gw.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          model: 'gemini-2.5-flash',
          temperature: 0,
          messages: [{ role: 'user', content: 'glitch translated' }],
        }),
      });
    fake.enqueue({ kind: 'status', status: 200, body: { candidates: [] } });
    const first = await send();
    expect(first.status).toBe(200);
    expect(await cacheHeader(first)).toBe('miss');
    expect(await cacheHeader(await send())).toBe('miss');
    expect(await cacheHeader(await send())).toBe('hit');
    expect(fake.requests).toHaveLength(2);
  });

  // Translated, a stream with nothing in it that ended for no reason Gemini gives (OTHER,
  // MALFORMED_RESPONSE) reached an OpenAI client as an empty answer, and was kept as one.
  it.each(['OTHER', 'MALFORMED_RESPONSE'])(
    'streamed to an OpenAI client: nothing in it, %s',
    async (reason) => {
      const send = () =>
        fetch(`${gw.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${gw.key}`, 'content-type': 'application/json' },
          body: JSON.stringify({
            model: 'gemini-2.5-flash',
            temperature: 0,
            stream: true,
            messages: [{ role: 'user', content: `streamed glitch translated: ${reason}` }],
          }),
        });
      fake.enqueue({
        kind: 'raw-sse',
        body: frames({ candidates: [{ content: { role: 'model' }, finishReason: reason, index: 0 }] }),
      });
      const first = await send();
      expect(first.status).toBe(200);
      expect(await cacheHeader(first)).toBe('miss');
      expect(await cacheHeader(await send())).toBe('miss');
      const replayed = await send();
      expect(replayed.headers.get('x-switchboard-cache')).toBe('hit');
      expect(await replayed.text()).toContain('answer ');
      expect(fake.requests).toHaveLength(2);
    },
  );
});

/** SSE frames of these JSON events, then OpenAI's `[DONE]`. */
const openAiFrames = (events: unknown[]) =>
  `${events.map((e) => `data: ${JSON.stringify(e)}\n\n`).join('')}data: [DONE]\n\n`;

// An OpenAI-format upstream sometimes answers 200 with nothing in it (no choices, or a choice
// with no content and no tool call, a filtered one too): relayed same-format, it was kept and
// replayed for the whole TTL, where Gemini's empty answer already was not.
describe('an OpenAI answer with nothing in it is not kept', () => {
  const chunk = (choices: unknown[]) => ({
    id: 'chatcmpl-empty',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'gpt-4o',
    choices,
  });
  const completion = (choices: unknown[]) => ({
    id: 'chatcmpl-empty',
    object: 'chat.completion',
    created: 1,
    model: 'gpt-4o',
    choices,
    usage: { prompt_tokens: 5, completion_tokens: 0, total_tokens: 5 },
  });
  const ask = (content: string, extra: Record<string, unknown> = {}) =>
    fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${gw.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'gpt-4o',
        temperature: 0,
        messages: [{ role: 'user', content }],
        ...extra,
      }),
    });

  const whole: [string, Record<string, unknown>][] = [
    ['no choices', completion([])],
    [
      'a choice with empty content',
      completion([{ index: 0, message: { role: 'assistant', content: '' }, finish_reason: 'stop' }]),
    ],
    [
      'null content, filtered (content_filter)',
      completion([
        {
          index: 0,
          message: { role: 'assistant', content: null, refusal: null, tool_calls: [] },
          finish_reason: 'content_filter',
        },
      ]),
    ],
  ];

  it.each(whole)('whole: %s', async (name, empty) => {
    const send = () => ask(`empty whole: ${name}`);
    fake.enqueue({ kind: 'status', status: 200, body: empty });
    const first = await send();
    expect(first.status).toBe(200);
    expect(await cacheHeader(first)).toBe('miss');
    // Asked again, the upstream answers; that answer is the one kept.
    expect(await cacheHeader(await send())).toBe('miss');
    const replayed = await send();
    expect(replayed.headers.get('x-switchboard-cache')).toBe('hit');
    expect(await replayed.text()).toContain('fake answer from gpt-4o');
    expect(fake.requests).toHaveLength(2);
  });

  const streamed: [string, string][] = [
    [
      'a role delta and a finish',
      openAiFrames([
        chunk([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }]),
        chunk([{ index: 0, delta: {}, finish_reason: 'stop' }]),
      ]),
    ],
    ['only [DONE]', openAiFrames([])],
    [
      'filtered with nothing in it (content_filter)',
      openAiFrames([
        chunk([{ index: 0, delta: { role: 'assistant', content: null }, finish_reason: null }]),
        chunk([{ index: 0, delta: {}, finish_reason: 'content_filter' }]),
        { ...chunk([]), usage: { prompt_tokens: 5, completion_tokens: 0, total_tokens: 5 } },
      ]),
    ],
  ];

  it.each(streamed)('streamed: %s', async (name, empty) => {
    const send = () => ask(`empty stream: ${name}`, { stream: true });
    fake.enqueue({ kind: 'raw-sse', body: empty });
    const first = await send();
    expect(first.status).toBe(200);
    expect(await cacheHeader(first)).toBe('miss');
    expect(await cacheHeader(await send())).toBe('miss');
    const replayed = await send();
    expect(replayed.headers.get('x-switchboard-cache')).toBe('hit');
    expect(await replayed.text()).toContain('"content":"answer "');
    expect(fake.requests).toHaveLength(2);
  });

  const kept: [string, () => void, Record<string, unknown>][] = [
    ['a short answer ("No.")', () => fake.enqueue({ kind: 'ok', content: 'No.' }), {}],
    ['a short answer, streamed', () => fake.enqueue({ kind: 'ok', content: 'No.' }), { stream: true }],
    [
      'only a tool call',
      () => {},
      { tools: [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object' } } }] },
    ],
    [
      'only a tool call, streamed',
      () => {},
      {
        stream: true,
        tools: [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object' } } }],
      },
    ],
    [
      'content cut at the length limit',
      () =>
        fake.enqueue({
          kind: 'status',
          status: 200,
          body: completion([
            { index: 0, message: { role: 'assistant', content: 'The first' }, finish_reason: 'length' },
          ]),
        }),
      { max_tokens: 2 },
    ],
  ];

  it.each(kept)('kept: %s', async (name, script, extra) => {
    script();
    expect(await cacheHeader(await ask(`kept: ${name}`, extra))).toBe('miss');
    expect(await cacheHeader(await ask(`kept: ${name}`, extra))).toBe('hit');
    expect(fake.requests).toHaveLength(1);
  });
});

// A Messages answer with no content block at all (Claude sometimes ends a turn so, after a tool
// result): relayed to an Anthropic client, it was kept and replayed for the whole TTL.
describe('an Anthropic message with nothing in it is not kept', () => {
  const ask = (content: string, extra: Record<string, unknown> = {}) =>
    fetch(`${gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': gw.key, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'claude-native',
        max_tokens: 64,
        temperature: 0,
        messages: [{ role: 'user', content }],
        ...extra,
      }),
    });
  const message = {
    id: 'msg_empty',
    type: 'message',
    role: 'assistant',
    model: 'claude-native',
    content: [],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: { input_tokens: 5, output_tokens: 0 },
  };
  const events = (...named: [string, unknown][]) =>
    named.map(([name, data]) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`).join('');

  it('whole: no content blocks', async () => {
    const send = () => ask('empty message, whole');
    fake.enqueue({ kind: 'status', status: 200, body: message });
    const first = await send();
    expect(first.status).toBe(200);
    expect(await cacheHeader(first)).toBe('miss');
    expect(await cacheHeader(await send())).toBe('miss');
    const replayed = await send();
    expect(replayed.headers.get('x-switchboard-cache')).toBe('hit');
    expect(await replayed.text()).toContain('fake answer from claude-native');
    expect(fake.requests).toHaveLength(2);
  });

  it('streamed: no content block', async () => {
    const send = () => ask('empty message, streamed', { stream: true });
    fake.enqueue({
      kind: 'raw-sse',
      body: events(
        ['message_start', { type: 'message_start', message }],
        [
          'message_delta',
          {
            type: 'message_delta',
            delta: { stop_reason: 'end_turn', stop_sequence: null },
            usage: { output_tokens: 0 },
          },
        ],
        ['message_stop', { type: 'message_stop' }],
      ),
    });
    const first = await send();
    expect(first.status).toBe(200);
    expect(await cacheHeader(first)).toBe('miss');
    expect(await cacheHeader(await send())).toBe('miss');
    const replayed = await send();
    expect(replayed.headers.get('x-switchboard-cache')).toBe('hit');
    expect(await replayed.text()).toContain('"text":"answer "');
    expect(fake.requests).toHaveLength(2);
  });

  const tool = { tools: [{ name: 'lookup', input_schema: { type: 'object' } }] };
  it.each([
    ['a short answer ("No.")', {}],
    ['a short answer, streamed', { stream: true }],
    ['only a tool call, streamed', { stream: true, ...tool }],
  ])('kept: %s', async (name, extra) => {
    fake.enqueue({ kind: 'ok', content: 'No.' });
    expect(await cacheHeader(await ask(`kept message: ${name}`, extra))).toBe('miss');
    expect(await cacheHeader(await ask(`kept message: ${name}`, extra))).toBe('hit');
    expect(fake.requests).toHaveLength(1);
  });
});
