import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteStorage } from '../../src/storage/sqlite/sqlite-storage.js';
import type { FakeUpstream } from '../fake-upstream/server.js';
import { postJson, sseData } from '../support/http.js';
import type { TestGateway } from '../support/start-gateway.js';
import {
  chat,
  newRequestId,
  readEventsThenAbort,
  recordOf,
  startAccountingGateway,
  startFakeUpstream,
  waitFor,
} from './harness.js';

/**
 * Every way a request can end, streamed and not: each leaves exactly one usage record (in the
 * sink and in the durable log) with the status and count source a bill can be explained by.
 */
describe('one usage record per request, whatever the exit', () => {
  let fake: FakeUpstream;
  let gw: TestGateway;

  beforeAll(async () => {
    fake = await startFakeUpstream();
    gw = await startAccountingGateway(fake);
    // The tokenizer loads on first need; count_tokens waits for it, so the estimates below are
    // tokenizer counts (`estimated`), not the heuristic of a cold start (token-estimates.test.ts).
    const warm = await postJson(gw, '/v1/messages/count_tokens', {
      model: 'gpt-4o-mini',
      max_tokens: 1,
      messages: [{ role: 'user', content: 'warm up' }],
    });
    if (warm.status !== 200) throw new Error(`count_tokens answered ${warm.status}`);
  });
  afterEach(() => fake.reset());
  afterAll(async () => {
    await gw.close();
    await fake.close();
  });

  it('stream, finishes normally: usage asked upstream, kept out of the client stream, counted from upstream', async () => {
    const id = newRequestId('ok-stream');
    const res = await chat(gw, id, { stream: true });
    const text = await res.text();
    expect(res.status).toBe(200);
    // The client did not ask for usage: it gets no usage event, and the stream ends as usual.
    expect(text).not.toContain('"usage"');
    expect(sseData(text).at(-1)).toBe('[DONE]');
    const upstream = fake.requests.at(-1)?.json as { stream_options?: { include_usage?: boolean } };
    expect(upstream.stream_options?.include_usage).toBe(true);
    const record = await recordOf(gw, id);
    expect(record).toMatchObject({ status: 200, errorCode: null, countSource: 'upstream', stream: true });
    expect(record.usage?.completionTokens).toBeGreaterThan(0);
    expect(record.upstreamKey).toBe('sk-…0001');
    expect(record.cost).toBeGreaterThan(0);
    expect(record.prices?.currency).toBe('USD');
  });

  it('stream, client asked for usage itself: its usage event reaches it', async () => {
    const id = newRequestId('ok-stream-usage');
    const res = await chat(gw, id, { stream: true, stream_options: { include_usage: true } });
    const text = await res.text();
    expect(text).toContain('"usage"');
    expect((await recordOf(gw, id)).countSource).toBe('upstream');
  });

  it('non-stream, finishes normally', async () => {
    const id = newRequestId('ok');
    const res = await chat(gw, id);
    expect(res.status).toBe(200);
    const record = await recordOf(gw, id);
    expect(record).toMatchObject({ status: 200, errorCode: null, countSource: 'upstream', stream: false });
  });

  it('stream, client cancels after 2 chunks: 499, partial estimate', async () => {
    fake.enqueue({ kind: 'stall', afterChunks: 4 });
    const id = newRequestId('cancel-stream');
    const abort = new AbortController();
    const res = await chat(gw, id, { stream: true }, {}, abort.signal);
    await readEventsThenAbort(res, 2, abort);
    const record = await recordOf(gw, id);
    expect(record).toMatchObject({ status: 499, errorCode: 'client_closed', countSource: 'partial' });
    expect(record.usage?.promptTokens).toBeGreaterThan(0);
    expect(record.usage?.completionTokens).toBeGreaterThan(0);
    await waitFor(() => fake.requests.at(-1)?.abortedAt, 'upstream aborted');
  });

  it('non-stream, client cancels while the upstream works: 499, nothing counted', async () => {
    fake.enqueue({ kind: 'hang' });
    const id = newRequestId('cancel');
    const abort = new AbortController();
    const pending = chat(gw, id, {}, {}, abort.signal).catch(() => null);
    await waitFor(() => fake.requests.length === 1, 'upstream request');
    abort.abort();
    await pending;
    const record = await recordOf(gw, id);
    expect(record.status).toBe(499);
    expect(record.countSource).toBeNull();
  });

  it('stream, connection reset mid-stream: 502, partial estimate', async () => {
    fake.enqueue({ kind: 'drop', afterChunks: 2 });
    const id = newRequestId('reset-stream');
    const res = await chat(gw, id, { stream: true });
    await res.text().catch(() => '');
    const record = await recordOf(gw, id);
    expect(record).toMatchObject({ status: 502, errorCode: 'upstream_stream_error', countSource: 'partial' });
  });

  it('non-stream, connection reset: 502, nothing counted', async () => {
    fake.enqueue({ kind: 'reset' });
    const id = newRequestId('reset');
    const res = await chat(gw, id);
    expect(res.status).toBe(502);
    const record = await recordOf(gw, id);
    expect(record).toMatchObject({ status: 502, countSource: null, usage: null, cost: 0 });
    expect(record.attempts).toHaveLength(1);
  });

  it('stream, 200 then an SSE error event: recorded as failed, partial', async () => {
    fake.enqueue({ kind: 'sse-error', afterChunks: 2 });
    const id = newRequestId('sse-error');
    const res = await chat(gw, id, { stream: true });
    expect(res.status).toBe(200);
    await res.text();
    const record = await recordOf(gw, id);
    expect(record).toMatchObject({ status: 502, errorCode: 'upstream_stream_error', countSource: 'partial' });
  });

  it('non-stream, upstream error status: recorded with its status, nothing counted', async () => {
    fake.enqueue({ kind: 'status', status: 500 });
    const id = newRequestId('status');
    const res = await chat(gw, id);
    const record = await recordOf(gw, id);
    expect(record.status).toBe(res.status);
    expect(record.status).toBeGreaterThanOrEqual(500);
    expect(record.countSource).toBeNull();
  });

  it('stream without a usage chunk: estimated with the tokenizer', async () => {
    const body =
      'data: {"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"Hello there, friend."}}]}\n\n' +
      'data: {"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n' +
      'data: [DONE]\n\n';
    fake.enqueue({ kind: 'raw-sse', body });
    const id = newRequestId('no-usage-stream');
    const res = await chat(gw, id, { stream: true });
    // Nothing to strip: the client gets the upstream bytes exactly.
    expect(await res.text()).toBe(body);
    const record = await recordOf(gw, id);
    expect(record).toMatchObject({ status: 200, countSource: 'estimated' });
    expect(record.usage?.completionTokens).toBe(5);
    expect(record.cost).toBeGreaterThan(0);
  });

  it('non-stream without usage: estimated with the tokenizer', async () => {
    const completion = {
      id: 'c2',
      object: 'chat.completion',
      model: 'gpt-4o-mini',
      choices: [
        { index: 0, message: { role: 'assistant', content: 'Hello there, friend.' }, finish_reason: 'stop' },
      ],
    };
    fake.enqueue({ kind: 'status', status: 200, body: completion });
    const id = newRequestId('no-usage');
    const res = await chat(gw, id);
    expect(res.status).toBe(200);
    const record = await recordOf(gw, id);
    expect(record).toMatchObject({ status: 200, countSource: 'estimated' });
    expect(record.usage?.completionTokens).toBe(5);
  });

  it('stream, upstream goes idle: 504, partial estimate', async () => {
    fake.enqueue({ kind: 'stall', afterChunks: 2 });
    const id = newRequestId('idle-stream');
    const res = await chat(gw, id, { stream: true });
    const text = await res.text();
    expect(text).toContain('upstream_timeout');
    const record = await recordOf(gw, id);
    expect(record).toMatchObject({ status: 504, errorCode: 'upstream_timeout', countSource: 'partial' });
  });

  it('non-stream, upstream never answers: 504, nothing counted', async () => {
    fake.enqueue({ kind: 'hang' });
    const id = newRequestId('idle');
    const res = await chat(gw, id);
    expect(res.status).toBe(504);
    const record = await recordOf(gw, id);
    expect(record).toMatchObject({ status: 504, countSource: null });
  });
});

describe('shutdown during a request', () => {
  let fake: FakeUpstream;
  let dir: string;
  beforeAll(async () => {
    fake = await startFakeUpstream();
    dir = mkdtempSync(join(tmpdir(), 'switchboard-acct-'));
  });
  afterAll(async () => {
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const stream of [true, false]) {
    it(`${stream ? 'stream' : 'non-stream'}: the drain ends it, and its one record is on disk after close`, async () => {
      const file = join(dir, `shutdown-${stream}.db`);
      // Upstream time-outs far beyond the 1 s drain, so it is the shutdown that ends the request.
      const gw = await startAccountingGateway(
        fake,
        { usage: { flush_interval_ms: 60_000 } },
        { DATABASE_URL: `sqlite:${file}` },
        { connect_ms: 2_000, first_byte_ms: 30_000, idle_ms: 30_000, total_ms: 30_000 },
      );
      fake.enqueue(stream ? { kind: 'stall', afterChunks: 2 } : { kind: 'hang' });
      const id = newRequestId(`sigterm-${stream}`);
      const res = chat(gw, id, { stream })
        .then((r) => r.text())
        .catch(() => '');
      await waitFor(
        () => fake.requests.length > 0 && fake.requests.at(-1)?.json?.stream === stream,
        'upstream request',
      );
      // What SIGTERM does: drain (1 s here), then close connections, flush usage, close storage.
      // The flush interval is a minute, so only the shutdown flush can have written the record.
      await gw.close();
      await res;
      expect(gw.usage.filter((r) => r.requestId === id)).toHaveLength(1);
      const reopened = await openSqliteStorage(file);
      try {
        const records = await reopened.usage.get(id);
        expect(records).toHaveLength(1);
        expect(records[0]?.status).toBeGreaterThanOrEqual(400);
        if (stream) expect(records[0]?.countSource).toBe('partial');
      } finally {
        await reopened.close();
      }
    });
  }
});
