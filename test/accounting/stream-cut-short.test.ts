import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FakeUpstream } from '../fake-upstream/server.js';
import type { TestGateway } from '../support/start-gateway.js';
import { chat, newRequestId, recordOf, startAccountingGateway, startFakeUpstream } from './harness.js';

/**
 * A relayed stream that the upstream (or a proxy in between, ending the chunked body on a
 * time-out) closes cleanly before the answer ended: no finish reason, no `data: [DONE]`. The
 * client is told, the record is a failure counted from the text, and the cache keeps nothing.
 */
const base = { id: 'chatcmpl-cut', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-mini' };
const event = (choices: unknown[]) => `data: ${JSON.stringify({ ...base, choices })}\n\n`;
const CUT =
  event([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }]) +
  event([{ index: 0, delta: { content: 'The answer is' }, finish_reason: null }]);
/** Whole, but without `data: [DONE]`, as some OpenAI-compatible servers end a stream. */
const WITHOUT_DONE = CUT + event([{ index: 0, delta: {}, finish_reason: 'stop' }]);
/** Two choices (`n: 2`): the first finished, the second cut in the middle of its text. */
const TWO_CUT =
  event([{ index: 0, delta: { role: 'assistant', content: 'One' }, finish_reason: null }]) +
  event([{ index: 1, delta: { role: 'assistant', content: 'Two' }, finish_reason: null }]) +
  event([{ index: 0, delta: {}, finish_reason: 'stop' }]) +
  event([{ index: 1, delta: { content: ' and then' }, finish_reason: null }]);

describe('a relayed chat stream closed before its end', () => {
  let fake: FakeUpstream;
  let gw: TestGateway;
  beforeAll(async () => {
    fake = await startFakeUpstream();
    gw = await startAccountingGateway(fake, {
      cache: { enabled: true, backend: 'memory', ttl_seconds: 600 },
    });
  });
  afterEach(() => fake.reset());
  afterAll(async () => {
    await gw.close();
    await fake.close();
  });

  it('ends with an error event, is recorded as a failed stream, and is not cached', async () => {
    const question = { messages: [{ role: 'user', content: 'cut short?' }], temperature: 0, stream: true };
    fake.enqueue({ kind: 'raw-sse', body: CUT });
    const firstId = newRequestId('cut-first');
    const first = await chat(gw, firstId, question);
    const text = await first.text();
    expect(text.startsWith(CUT)).toBe(true);
    expect(text.slice(CUT.length)).toContain('before the answer was complete');
    const record = await recordOf(gw, firstId);
    expect(record.status).toBe(502);
    expect(record.errorCode).toBe('upstream_stream_error');
    expect(record.countSource).toBe('partial');

    // The same question goes upstream again: the cut answer was not kept.
    fake.enqueue({ kind: 'raw-sse', body: `${WITHOUT_DONE}data: [DONE]\n\n` });
    const second = await chat(gw, newRequestId('cut-second'), question);
    expect(second.headers.get('x-switchboard-cache')).not.toBe('hit');
    await second.text();
    expect(fake.requests).toHaveLength(2);
  });

  // Each of several choices ends with a finish reason of its own: the first one's is not the end
  // of the answer. A stream cut while another choice was still being written was a 200, cached.
  it('a stream of several choices cut while one is unfinished is a failure, and is not cached', async () => {
    const question = {
      messages: [{ role: 'user', content: 'two choices, cut short?' }],
      temperature: 0,
      n: 2,
      stream: true,
    };
    fake.enqueue({ kind: 'raw-sse', body: TWO_CUT });
    const firstId = newRequestId('two-cut');
    const first = await chat(gw, firstId, question);
    expect((await first.text()).slice(TWO_CUT.length)).toContain('before the answer was complete');
    expect(await recordOf(gw, firstId)).toMatchObject({ status: 502, errorCode: 'upstream_stream_error' });
    await gw.node.drainDeferred();

    // Both choices finished, without [DONE]: a whole answer.
    const whole = TWO_CUT + event([{ index: 1, delta: {}, finish_reason: 'stop' }]);
    fake.enqueue({ kind: 'raw-sse', body: whole });
    const secondId = newRequestId('two-whole');
    const second = await chat(gw, secondId, question);
    expect(second.headers.get('x-switchboard-cache')).toBe('miss');
    expect(await second.text()).toBe(whole);
    expect(await recordOf(gw, secondId)).toMatchObject({ status: 200, errorCode: null });
    expect(fake.requests).toHaveLength(2);
  });

  it('a stream that ends with its finish reason but no [DONE] is a whole answer', async () => {
    fake.enqueue({ kind: 'raw-sse', body: WITHOUT_DONE });
    const id = newRequestId('no-done');
    const res = await chat(gw, id, { messages: [{ role: 'user', content: 'no [DONE]' }], stream: true });
    expect(await res.text()).toBe(WITHOUT_DONE);
    const record = await recordOf(gw, id);
    expect(record.status).toBe(200);
    expect(record.errorCode).toBeNull();
  });
});
