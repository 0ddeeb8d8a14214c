import { describe, expect, it } from 'vitest';
import { openAiFrames, useCacheGateway } from './cache-front-door-gateway.js';

/** OpenAI chat completions with nothing in them, relayed to an OpenAI client: not kept. */
const cache = useCacheGateway();
const { cacheHeader } = cache;

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
    fetch(`${cache.gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${cache.gw.key}`, 'content-type': 'application/json' },
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
    cache.fake.enqueue({ kind: 'status', status: 200, body: empty });
    const first = await send();
    expect(first.status).toBe(200);
    expect(await cacheHeader(first)).toBe('miss');
    // Asked again, the upstream answers; that answer is the one kept.
    expect(await cacheHeader(await send())).toBe('miss');
    const replayed = await send();
    expect(replayed.headers.get('x-switchboard-cache')).toBe('hit');
    expect(await replayed.text()).toContain('fake answer from gpt-4o');
    expect(cache.fake.requests).toHaveLength(2);
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
    cache.fake.enqueue({ kind: 'raw-sse', body: empty });
    const first = await send();
    expect(first.status).toBe(200);
    expect(await cacheHeader(first)).toBe('miss');
    expect(await cacheHeader(await send())).toBe('miss');
    const replayed = await send();
    expect(replayed.headers.get('x-switchboard-cache')).toBe('hit');
    expect(await replayed.text()).toContain('"content":"answer "');
    expect(cache.fake.requests).toHaveLength(2);
  });

  const kept: [string, () => void, Record<string, unknown>][] = [
    ['a short answer ("No.")', () => cache.fake.enqueue({ kind: 'ok', content: 'No.' }), {}],
    ['a short answer, streamed', () => cache.fake.enqueue({ kind: 'ok', content: 'No.' }), { stream: true }],
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
        cache.fake.enqueue({
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
    expect(cache.fake.requests).toHaveLength(1);
  });
});
