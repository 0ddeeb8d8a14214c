import { describe, expect, it } from 'vitest';
import { geminiFrames, useCacheGateway } from './cache-front-door-gateway.js';

/** Gemini answers with nothing in them, or failed, relayed to a Gemini client: not kept. */
const cache = useCacheGateway();
const { cacheHeader } = cache;

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
    [
      'a candidate whose only part is empty text',
      { candidates: [{ content: { role: 'model', parts: [{ text: '' }] }, finishReason: 'STOP', index: 0 }] },
    ],
  ];

  it.each(glitches)('to a Gemini client: %s', async (_name, glitch) => {
    const send = () =>
      fetch(`${cache.gw.url}/v1beta/models/gemini-2.5-flash:generateContent`, {
        method: 'POST',
        headers: { 'x-goog-api-key': cache.gw.key, 'content-type': 'application/json' },
        body: JSON.stringify({
          contents: [{ role: 'user', parts: [{ text: `glitch ${JSON.stringify(glitch)}` }] }],
          generationConfig: { temperature: 0 },
        }),
      });
    cache.fake.enqueue({ kind: 'status', status: 200, body: glitch });
    const first = await send();
    expect(first.status).toBe(200);
    expect(await cacheHeader(first)).toBe('miss');
    // Asked again, the upstream answers; that answer is the one kept.
    expect(await cacheHeader(await send())).toBe('miss');
    expect(await cacheHeader(await send())).toBe('hit');
    expect(cache.fake.requests).toHaveLength(2);
  });

  // The same glitches streamed to a Gemini client, relayed from a Gemini channel: the stream ends
  // cleanly, so it was kept whole and replayed.
  const streamedGlitches: [string, string][] = [
    [
      'a malformed function call',
      geminiFrames({
        candidates: [{ content: { role: 'model' }, finishReason: 'MALFORMED_FUNCTION_CALL', index: 0 }],
      }),
    ],
    [
      'text, then a malformed function call',
      geminiFrames(
        { candidates: [{ content: { role: 'model', parts: [{ text: 'Let me look' }] }, index: 0 }] },
        { candidates: [{ content: { role: 'model' }, finishReason: 'MALFORMED_FUNCTION_CALL', index: 0 }] },
      ),
    ],
    ['a candidate with nothing in it', geminiFrames({ candidates: [{ finishReason: 'STOP', index: 0 }] })],
    [
      'only empty text parts',
      geminiFrames(
        { candidates: [{ content: { role: 'model', parts: [{ text: '' }] }, index: 0 }] },
        {
          candidates: [{ content: { role: 'model', parts: [{ text: '' }] }, finishReason: 'STOP', index: 0 }],
        },
      ),
    ],
    [
      'no candidates (a blocked prompt)',
      geminiFrames({ promptFeedback: { blockReason: 'OTHER' }, usageMetadata: { promptTokenCount: 5 } }),
    ],
  ];
  const streamTo = (path: string, text: string) =>
    fetch(`${cache.gw.url}/v1beta/models/gemini-2.5-flash:${path}`, {
      method: 'POST',
      headers: { 'x-goog-api-key': cache.gw.key, 'content-type': 'application/json' },
      body: JSON.stringify({
        contents: [{ role: 'user', parts: [{ text }] }],
        generationConfig: { temperature: 0 },
      }),
    });

  it.each(streamedGlitches)('streamed to a Gemini client (alt=sse): %s', async (name, glitch) => {
    const send = () => streamTo('streamGenerateContent?alt=sse', `streamed glitch: ${name}`);
    cache.fake.enqueue({ kind: 'raw-sse', body: glitch });
    const first = await send();
    expect(first.status).toBe(200);
    expect(await cacheHeader(first)).toBe('miss');
    const again = await send();
    expect(await cacheHeader(again)).toBe('miss');
    const replayed = await send();
    expect(replayed.headers.get('x-switchboard-cache')).toBe('hit');
    // The answer kept is the upstream's second one (the fake's, streamed word by word).
    expect(await replayed.text()).toContain('{"text":"answer "}');
    expect(cache.fake.requests).toHaveLength(2);
  });

  it('streamed to a Gemini client as one JSON array: a malformed function call', async () => {
    const send = () => streamTo('streamGenerateContent', 'streamed glitch, JSON array');
    cache.fake.enqueue({ kind: 'raw-sse', body: streamedGlitches[0]?.[1] ?? '' });
    const first = await send();
    expect(first.status).toBe(200);
    expect(await cacheHeader(first)).toBe('miss');
    expect(await cacheHeader(await send())).toBe('miss');
    expect(await cacheHeader(await send())).toBe('hit');
    expect(cache.fake.requests).toHaveLength(2);
  });

  it('a streamed answer that ends normally is kept', async () => {
    const send = () => streamTo('streamGenerateContent?alt=sse', 'streamed and short');
    cache.fake.enqueue({
      kind: 'raw-sse',
      body: geminiFrames({
        candidates: [{ content: { role: 'model', parts: [{ text: 'No.' }] }, finishReason: 'STOP' }],
      }),
    });
    expect(await cacheHeader(await send())).toBe('miss');
    const replayed = await send();
    expect(replayed.headers.get('x-switchboard-cache')).toBe('hit');
    expect(await replayed.text()).toContain('No.');
    expect(cache.fake.requests).toHaveLength(1);
  });
});
