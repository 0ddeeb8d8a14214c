import { describe, expect, it } from 'vitest';
import { anthropicEvents, geminiFrames, openAiFrames, useCacheGateway } from './cache-front-door-gateway.js';

/** Answers with nothing in them, translated for another format's client: not kept, whatever their finish. */
const cache = useCacheGateway();
const { cacheHeader } = cache;

// Gemini's empty or glitched answer, from a Gemini channel, translated for an OpenAI client.
describe('an empty or failed Gemini answer is not kept', () => {
  it('to an OpenAI client: no candidates', async () => {
    const send = () =>
      fetch(`${cache.gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${cache.gw.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          model: 'gemini-2.5-flash',
          temperature: 0,
          messages: [{ role: 'user', content: 'glitch translated' }],
        }),
      });
    cache.fake.enqueue({ kind: 'status', status: 200, body: { candidates: [] } });
    const first = await send();
    expect(first.status).toBe(200);
    expect(await cacheHeader(first)).toBe('miss');
    expect(await cacheHeader(await send())).toBe('miss');
    expect(await cacheHeader(await send())).toBe('hit');
    expect(cache.fake.requests).toHaveLength(2);
  });

  // Translated, a stream with nothing in it that ended for no reason Gemini gives (OTHER,
  // MALFORMED_RESPONSE) reached an OpenAI client as an empty answer, and was kept as one.
  it.each(['OTHER', 'MALFORMED_RESPONSE'])(
    'streamed to an OpenAI client: nothing in it, %s',
    async (reason) => {
      const send = () =>
        fetch(`${cache.gw.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${cache.gw.key}`, 'content-type': 'application/json' },
          body: JSON.stringify({
            model: 'gemini-2.5-flash',
            temperature: 0,
            stream: true,
            messages: [{ role: 'user', content: `streamed glitch translated: ${reason}` }],
          }),
        });
      cache.fake.enqueue({
        kind: 'raw-sse',
        body: geminiFrames({ candidates: [{ content: { role: 'model' }, finishReason: reason, index: 0 }] }),
      });
      const first = await send();
      expect(first.status).toBe(200);
      expect(await cacheHeader(first)).toBe('miss');
      expect(await cacheHeader(await send())).toBe('miss');
      const replayed = await send();
      expect(replayed.headers.get('x-switchboard-cache')).toBe('hit');
      expect(await replayed.text()).toContain('answer ');
      expect(cache.fake.requests).toHaveLength(2);
    },
  );
});

// An answer with nothing in it that finished with a reason (stop, length, content_filter) was
// kept when translated, and replayed for the whole TTL, though relayed in its own format it was
// not: an OpenAI channel's `content: ""` to an Anthropic client, a Gemini candidate with no parts
// and STOP to an OpenAI client, a Messages answer with no text to an OpenAI client.
describe('a translated answer with nothing in it is not kept, whatever its finish', () => {
  type Ask = (content: string, extra?: Record<string, unknown>) => Promise<Response>;
  /** An Anthropic client asking an OpenAI channel's model. */
  const asClaudeClient: Ask = (content, extra = {}) =>
    fetch(`${cache.gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': cache.gw.key, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'gpt-4o',
        max_tokens: 64,
        temperature: 0,
        messages: [{ role: 'user', content }],
        ...extra,
      }),
    });
  /** An OpenAI client asking a Gemini or an Anthropic channel's model. */
  const asOpenAiClient =
    (model: string): Ask =>
    (content, extra = {}) =>
      fetch(`${cache.gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${cache.gw.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model, temperature: 0, messages: [{ role: 'user', content }], ...extra }),
      });
  const toGemini = asOpenAiClient('gemini-2.5-flash');
  const toClaude = asOpenAiClient('claude-native');

  const completion = (message: Record<string, unknown>, finish: string) => ({
    id: 'chatcmpl-empty',
    object: 'chat.completion',
    created: 1,
    model: 'gpt-4o',
    choices: [{ index: 0, message: { role: 'assistant', ...message }, finish_reason: finish }],
    usage: { prompt_tokens: 5, completion_tokens: 0, total_tokens: 5 },
  });
  const chunk = (delta: Record<string, unknown>, finish: string | null) => ({
    id: 'chatcmpl-empty',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'gpt-4o',
    choices: [{ index: 0, delta, finish_reason: finish }],
  });
  const candidate = (finishReason: string) => ({
    candidates: [{ content: { role: 'model' }, finishReason, index: 0 }],
    usageMetadata: { promptTokenCount: 5, totalTokenCount: 5 },
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
  const messageEnd: [string, unknown][] = [
    [
      'message_delta',
      {
        type: 'message_delta',
        delta: { stop_reason: 'end_turn', stop_sequence: null },
        usage: { output_tokens: 0 },
      },
    ],
    ['message_stop', { type: 'message_stop' }],
  ];

  const whole: [string, Ask, Record<string, unknown>, string][] = [
    [
      'OpenAI to an Anthropic client: empty content, stop',
      asClaudeClient,
      completion({ content: '' }, 'stop'),
      'gpt-4o',
    ],
    [
      'OpenAI to an Anthropic client: null content, length',
      asClaudeClient,
      completion({ content: null }, 'length'),
      'gpt-4o',
    ],
    [
      'OpenAI to an Anthropic client: null content, content_filter',
      asClaudeClient,
      completion({ content: null }, 'content_filter'),
      'gpt-4o',
    ],
    [
      'Gemini to an OpenAI client: a candidate with no parts, STOP',
      toGemini,
      candidate('STOP'),
      'gemini-2.5-flash',
    ],
    [
      'Gemini to an OpenAI client: a candidate with no parts, MAX_TOKENS',
      toGemini,
      candidate('MAX_TOKENS'),
      'gemini-2.5-flash',
    ],
    ['Anthropic to an OpenAI client: no content block, end_turn', toClaude, message, 'claude-native'],
  ];

  it.each(whole)('whole: %s', async (name, ask, empty, model) => {
    const send = () => ask(`translated, empty whole: ${name}`);
    cache.fake.enqueue({ kind: 'status', status: 200, body: empty });
    const first = await send();
    expect(first.status).toBe(200);
    expect(await cacheHeader(first)).toBe('miss');
    // Asked again, the upstream answers; that answer is the one kept.
    expect(await cacheHeader(await send())).toBe('miss');
    const replayed = await send();
    expect(replayed.headers.get('x-switchboard-cache')).toBe('hit');
    expect(await replayed.text()).toContain(`fake answer from ${model}`);
    expect(cache.fake.requests).toHaveLength(2);
  });

  const streamed: [string, Ask, string][] = [
    [
      'OpenAI to an Anthropic client: a role delta and a stop',
      asClaudeClient,
      openAiFrames([chunk({ role: 'assistant', content: '' }, null), chunk({}, 'stop')]),
    ],
    [
      'OpenAI to an Anthropic client: nothing, length',
      asClaudeClient,
      openAiFrames([chunk({ role: 'assistant', content: null }, null), chunk({}, 'length')]),
    ],
    [
      'Gemini to an OpenAI client: a candidate with nothing in it, STOP',
      toGemini,
      geminiFrames(candidate('STOP')),
    ],
    [
      'Anthropic to an OpenAI client: no content block',
      toClaude,
      anthropicEvents(['message_start', { type: 'message_start', message }], ...messageEnd),
    ],
    [
      'Anthropic to an OpenAI client: a text block with no text',
      toClaude,
      anthropicEvents(
        ['message_start', { type: 'message_start', message }],
        [
          'content_block_start',
          { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
        ],
        ['content_block_stop', { type: 'content_block_stop', index: 0 }],
        ...messageEnd,
      ),
    ],
  ];

  it.each(streamed)('streamed: %s', async (name, ask, empty) => {
    const send = () => ask(`translated, empty stream: ${name}`, { stream: true });
    cache.fake.enqueue({ kind: 'raw-sse', body: empty });
    const first = await send();
    expect(first.status).toBe(200);
    expect(await cacheHeader(first)).toBe('miss');
    expect(await cacheHeader(await send())).toBe('miss');
    const replayed = await send();
    expect(replayed.headers.get('x-switchboard-cache')).toBe('hit');
    expect(await replayed.text()).toContain('answer ');
    expect(cache.fake.requests).toHaveLength(2);
  });

  const tool = { tools: [{ name: 'lookup', input_schema: { type: 'object' } }] };
  const kept: [string, Ask, () => void, Record<string, unknown>][] = [
    [
      'a short answer ("No."), to an Anthropic client',
      asClaudeClient,
      () => cache.fake.enqueue({ kind: 'ok', content: 'No.' }),
      {},
    ],
    [
      'a short answer, streamed to an Anthropic client',
      asClaudeClient,
      () => cache.fake.enqueue({ kind: 'ok', content: 'No.' }),
      { stream: true },
    ],
    [
      'only a tool call, streamed to an Anthropic client',
      asClaudeClient,
      () => {},
      { stream: true, ...tool },
    ],
    [
      'text cut at the length limit, to an Anthropic client',
      asClaudeClient,
      () =>
        cache.fake.enqueue({
          kind: 'status',
          status: 200,
          body: completion({ content: 'The first' }, 'length'),
        }),
      {},
    ],
    [
      'a short Gemini answer, to an OpenAI client',
      toGemini,
      () => cache.fake.enqueue({ kind: 'ok', content: 'No.' }),
      {},
    ],
  ];

  it.each(kept)('kept: %s', async (name, ask, script, extra) => {
    script();
    expect(await cacheHeader(await ask(`translated, kept: ${name}`, extra))).toBe('miss');
    expect(await cacheHeader(await ask(`translated, kept: ${name}`, extra))).toBe('hit');
    expect(cache.fake.requests).toHaveLength(1);
  });
});
