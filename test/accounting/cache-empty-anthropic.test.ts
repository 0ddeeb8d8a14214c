import { describe, expect, it } from 'vitest';
import { anthropicEvents, useCacheGateway } from './cache-front-door-gateway.js';

/** Messages answers with nothing in them, relayed to an Anthropic client: not kept. */
const cache = useCacheGateway();
const { cacheHeader } = cache;

// A Messages answer with no content block at all (Claude sometimes ends a turn so, after a tool
// result): relayed to an Anthropic client, it was kept and replayed for the whole TTL.
describe('an Anthropic message with nothing in it is not kept', () => {
  const ask = (content: string, extra: Record<string, unknown> = {}) =>
    fetch(`${cache.gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': cache.gw.key, 'content-type': 'application/json' },
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

  /** A message stream around the given events: its start, then its end with `end_turn`. */
  const stream = (...blocks: [string, unknown][]) =>
    anthropicEvents(
      ['message_start', { type: 'message_start', message }],
      ...blocks,
      [
        'message_delta',
        {
          type: 'message_delta',
          delta: { stop_reason: 'end_turn', stop_sequence: null },
          usage: { output_tokens: 0 },
        },
      ],
      ['message_stop', { type: 'message_stop' }],
    );
  /** Not kept: the answer and its retry both miss, the retry's answer is kept; the third send's response. */
  const missTwiceThenHit = async (send: () => Promise<Response>) => {
    const first = await send();
    expect(first.status).toBe(200);
    expect(await cacheHeader(first)).toBe('miss');
    expect(await cacheHeader(await send())).toBe('miss');
    const replayed = await send();
    expect(replayed.headers.get('x-switchboard-cache')).toBe('hit');
    expect(cache.fake.requests).toHaveLength(2);
    return replayed;
  };

  it('whole: no content blocks', async () => {
    cache.fake.enqueue({ kind: 'status', status: 200, body: message });
    const replayed = await missTwiceThenHit(() => ask('empty message, whole'));
    expect(await replayed.text()).toContain('fake answer from claude-native');
  });

  it('streamed: no content block', async () => {
    cache.fake.enqueue({ kind: 'raw-sse', body: stream() });
    const replayed = await missTwiceThenHit(() => ask('empty message, streamed', { stream: true }));
    expect(await replayed.text()).toContain('"text":"answer "');
  });

  it('whole: only an empty text block', async () => {
    cache.fake.enqueue({
      kind: 'status',
      status: 200,
      body: { ...message, content: [{ type: 'text', text: '' }] },
    });
    await missTwiceThenHit(() => ask('empty text block, whole'));
  });

  it('streamed: one text block that never gets a delta', async () => {
    cache.fake.enqueue({
      kind: 'raw-sse',
      body: stream(
        [
          'content_block_start',
          { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
        ],
        ['content_block_stop', { type: 'content_block_stop', index: 0 }],
      ),
    });
    await missTwiceThenHit(() => ask('empty text block, streamed', { stream: true }));
  });

  const tool = { tools: [{ name: 'lookup', input_schema: { type: 'object' } }] };
  it.each([
    ['a short answer ("No.")', {}],
    ['a short answer, streamed', { stream: true }],
    ['only a tool call, streamed', { stream: true, ...tool }],
  ])('kept: %s', async (name, extra) => {
    cache.fake.enqueue({ kind: 'ok', content: 'No.' });
    expect(await cacheHeader(await ask(`kept message: ${name}`, extra))).toBe('miss');
    expect(await cacheHeader(await ask(`kept message: ${name}`, extra))).toBe('hit');
    expect(cache.fake.requests).toHaveLength(1);
  });
});
