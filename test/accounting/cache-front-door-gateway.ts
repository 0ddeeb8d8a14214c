import { afterAll, afterEach, beforeAll } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';
import {
  anthropicChannel,
  channel,
  geminiChannel,
  startTestGateway,
  type TestGateway,
} from '../support/start-gateway.js';

/**
 * The gateway the response cache tests of each front door share: an Anthropic, a Gemini and an
 * OpenAI channel on the fake upstream (models `claude-native`, `gemini-2.5-flash`, `gpt-4o`),
 * one attempt per request, the cache on.
 */
export function startCacheGateway(fake: FakeUpstream): Promise<TestGateway> {
  return startTestGateway({
    channels: [
      anthropicChannel(fake.url, ['claude-native']),
      geminiChannel(fake.url, ['gemini-2.5-flash']),
      channel({ name: 'oa', base_url: `${fake.url}/v1`, keys: ['oa-key'], models: ['gpt-4o'] }),
    ],
    routing: { max_attempts: 1 },
    cache: { enabled: true, ttl_seconds: 600 },
  });
}

/**
 * The fake upstream and the cache gateway for the tests of one file: started before them, the
 * fake's script reset after each, both closed after them. Read `fake` and `gw` inside tests.
 */
export function useCacheGateway(): {
  readonly fake: FakeUpstream;
  readonly gw: TestGateway;
  cacheHeader(res: Response): Promise<string | null>;
} {
  let fake: FakeUpstream | undefined;
  let gw: TestGateway | undefined;
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the cache gateway is read before it started');
    return value;
  };
  beforeAll(async () => {
    fake = await startFakeUpstream();
    gw = await startCacheGateway(fake);
  });
  afterEach(() => fake?.reset());
  afterAll(async () => {
    await gw?.close();
    await fake?.close();
  });
  return {
    get fake() {
      return started(fake);
    },
    get gw() {
      return started(gw);
    },
    cacheHeader: (res) => cacheHeaderOf(started(gw), res),
  };
}

/** The answer's `x-switchboard-cache`, once it has been read whole and its cache write is done. */
export async function cacheHeaderOf(gw: TestGateway, res: Response): Promise<string | null> {
  await res.text();
  await gw.node.drainDeferred();
  return res.headers.get('x-switchboard-cache');
}

/** SSE frames of these JSON chunks, as Gemini streams them (`alt=sse`). */
export const geminiFrames = (...chunks: unknown[]) =>
  chunks.map((c) => `data: ${JSON.stringify(c)}\r\n\r\n`).join('');

/** SSE frames of these JSON events, then OpenAI's `[DONE]`. */
export const openAiFrames = (events: unknown[]) =>
  `${events.map((e) => `data: ${JSON.stringify(e)}\n\n`).join('')}data: [DONE]\n\n`;

/** SSE frames of these named events, as Anthropic's Messages API streams them. */
export const anthropicEvents = (...named: [string, unknown][]) =>
  named.map(([name, data]) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`).join('');
