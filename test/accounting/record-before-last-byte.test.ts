import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';
import { channel, startTestGateway, type TestGateway } from '../support/start-gateway.js';

/**
 * The usage record is in the database before the client holds a complete answer: read the
 * store the moment the last byte (the JSON body, `[DONE]`, `message_stop`) arrives, with no
 * flush, no drain and no wait. The batch interval is long, so a batched write would not be there.
 */
describe('the usage record is written before the answer is complete', () => {
  let fake: FakeUpstream;
  let gw: TestGateway;
  beforeAll(async () => {
    fake = await startFakeUpstream();
    fake.onKey('k', { kind: 'drip', intervalMs: 5 });
    gw = await startTestGateway({
      usage: { flush_interval_ms: 60_000 },
      channels: [channel({ name: 'fake', base_url: fake.baseUrl, keys: ['k'], models: ['m'] })],
    });
  });
  afterAll(async () => {
    await gw.close();
    await fake.close();
  });

  const post = (path: string, id: string, body: Record<string, unknown>) =>
    fetch(`${gw.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${gw.key}`, 'content-type': 'application/json', 'x-request-id': id },
      body: JSON.stringify(body),
    });

  /** Reads until `marker` arrives; resolves to the record(s) on file at that moment. */
  async function recordsWhen(res: Response, marker: string, id: string) {
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = '';
    for (;;) {
      const { done, value } = await reader.read();
      if (done) throw new Error(`the stream ended without ${marker}`);
      text += decoder.decode(value, { stream: true });
      if (!text.includes(marker)) continue;
      const records = await gw.node.storage.usage.get(id);
      await reader.cancel();
      return records;
    }
  }

  it('a JSON answer', async () => {
    const res = await post('/v1/chat/completions', 'json-last-byte', {
      model: 'm',
      messages: [{ role: 'user', content: 'hi' }],
    });
    await res.json();
    const [record] = await gw.node.storage.usage.get('json-last-byte');
    expect(record).toMatchObject({ status: 200, errorCode: null, stream: false, channel: 'fake' });
    expect(record?.usage?.completionTokens).toBeGreaterThan(0);
  });

  it('a relayed stream, at `data: [DONE]`', async () => {
    const res = await post('/v1/chat/completions', 'stream-last-byte', {
      model: 'm',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'hi' }],
    });
    const records = await recordsWhen(res, 'data: [DONE]', 'stream-last-byte');
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ status: 200, errorCode: null, stream: true, countSource: 'upstream' });
  });

  it('a translated stream (Messages front door, OpenAI upstream), at `message_stop`', async () => {
    const res = await post('/v1/messages', 'messages-last-byte', {
      model: 'm',
      max_tokens: 50,
      stream: true,
      messages: [{ role: 'user', content: 'hi' }],
    });
    const records = await recordsWhen(res, 'message_stop', 'messages-last-byte');
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ status: 200, errorCode: null, stream: true });
  });
});
