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
