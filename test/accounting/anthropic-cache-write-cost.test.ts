import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';
import { anthropicChannel, startTestGateway, type TestGateway } from '../support/start-gateway.js';
import { newRequestId, recordOf } from './harness.js';

/**
 * Anthropic bills a prompt-cache write made with the 1-hour TTL (`cache_control: {ttl: "1h"}`) at
 * 2x the input price, against 1.25x for the default 5-minute one, and says how many tokens went
 * each way in `usage.cache_creation`. Priced all at the 5-minute rate, every 1-hour write was
 * under-billed by 37.5%, on the native relay (Claude Code) and on translated calls alike.
 */
let fake: FakeUpstream;
let gw: TestGateway;
beforeAll(async () => {
  fake = await startFakeUpstream();
  gw = await startTestGateway({
    channels: [anthropicChannel(fake.url, ['claude-sonnet-4-5'])],
    routing: { max_attempts: 1 },
    usage: { flush_interval_ms: 20 },
  });
});
afterEach(() => fake.reset());
afterAll(async () => {
  await gw.close();
  await fake.close();
});

/** 400 tokens written for 5 minutes, 1,000 for an hour, 10 fresh, 20 out. */
const USAGE = {
  input_tokens: 10,
  cache_creation_input_tokens: 1_400,
  cache_read_input_tokens: 0,
  cache_creation: { ephemeral_5m_input_tokens: 400, ephemeral_1h_input_tokens: 1_000 },
  output_tokens: 20,
};
// claude-sonnet-4-5: input 3, 5-minute write 3.75, 1-hour write 6, output 15 (USD per 1M).
const COST = (10 * 3 + 400 * 3.75 + 1_000 * 6 + 20 * 15) / 1e6;

const message = {
  id: 'msg_cache',
  type: 'message',
  role: 'assistant',
  model: 'claude-sonnet-4-5',
  content: [{ type: 'text', text: 'Cached.' }],
  stop_reason: 'end_turn',
  stop_sequence: null,
  usage: USAGE,
};

function streamBody(): string {
  const start = { ...message, content: [], stop_reason: null, usage: { ...USAGE, output_tokens: 1 } };
  const events: [string, unknown][] = [
    ['message_start', { type: 'message_start', message: start }],
    [
      'content_block_start',
      { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
    ],
    [
      'content_block_delta',
      { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Cached.' } },
    ],
    ['content_block_stop', { type: 'content_block_stop', index: 0 }],
    [
      'message_delta',
      {
        type: 'message_delta',
        delta: { stop_reason: 'end_turn', stop_sequence: null },
        // As Anthropic sends it now: the input and cache counts again, without their breakdown.
        usage: {
          input_tokens: USAGE.input_tokens,
          cache_creation_input_tokens: USAGE.cache_creation_input_tokens,
          cache_read_input_tokens: 0,
          output_tokens: 20,
        },
      },
    ],
    ['message_stop', { type: 'message_stop' }],
  ];
  return events.map(([name, data]) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`).join('');
}

async function send(path: string, stream: boolean): Promise<string> {
  const requestId = newRequestId('cache-1h');
  fake.enqueue(
    stream ? { kind: 'raw-sse', body: streamBody() } : { kind: 'status', status: 200, body: message },
  );
  const res = await fetch(`${gw.url}${path}`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${gw.key}`,
      'content-type': 'application/json',
      'x-request-id': requestId,
    },
    body: JSON.stringify({
      model: 'claude-sonnet-4-5',
      max_tokens: 64,
      stream,
      messages: [{ role: 'user', content: 'Long cached context.' }],
    }),
  });
  expect(res.status).toBe(200);
  await res.text();
  return requestId;
}

describe('1-hour prompt-cache writes are priced at the 1-hour rate', () => {
  for (const [door, path] of [
    ['the native relay (/v1/messages)', '/v1/messages'],
    ['a translated call (/v1/chat/completions)', '/v1/chat/completions'],
  ] as const)
    for (const stream of [false, true])
      it(`${door}, ${stream ? 'streamed' : 'not streamed'}`, async () => {
        const record = await recordOf(gw, await send(path, stream));
        expect(record.usage?.cacheWriteTokens).toBe(1_400);
        expect(record.prices?.cacheWrite1h).toBe(6);
        expect(record.cost).toBeCloseTo(COST, 9);
      });
});
