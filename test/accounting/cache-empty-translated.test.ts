import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';
import type { TestGateway } from '../support/start-gateway.js';
import { cacheHeaderOf, geminiFrames, startCacheGateway } from './cache-front-door-gateway.js';

/** Answers with nothing in them, translated for another format's client: not kept. */
let fake: FakeUpstream;
let gw: TestGateway;
beforeAll(async () => {
  fake = await startFakeUpstream();
  gw = await startCacheGateway(fake);
});
afterEach(() => fake.reset());
afterAll(async () => {
  await gw.close();
  await fake.close();
});

const cacheHeader = (res: Response) => cacheHeaderOf(gw, res);

// Gemini's empty or glitched answer, from a Gemini channel, translated for an OpenAI client.
describe('an empty or failed Gemini answer is not kept', () => {
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
        body: geminiFrames({ candidates: [{ content: { role: 'model' }, finishReason: reason, index: 0 }] }),
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
