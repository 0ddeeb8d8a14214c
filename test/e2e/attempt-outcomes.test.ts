import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chat, newRequestId, recordOf, startFakeUpstream, waitFor } from '../accounting/harness.js';
import type { FakeUpstream } from '../fake-upstream/server.js';
import { type OtlpReceiver, startOtlpReceiver } from '../support/otlp-receiver.js';
import { parsePromText, sumOf } from '../support/prom-text.js';
import { channel, startTestGateway, type TestGateway } from '../support/start-gateway.js';

/**
 * What an upstream attempt counts as, seen the same way in Prometheus, in traces and in
 * `GET /stats`, and as router health sees it: a client that left is not the upstream's failure;
 * a stream the upstream cut after its first bytes is one.
 */
const ADMIN_TOKEN = 'admin-token-for-attempt-outcomes';
const CLIENT_SPAN = 3;
const ERROR_STATUS = 2;
let fake: FakeUpstream;
let receiver: OtlpReceiver;
let gw: TestGateway;
let closed = false;

beforeAll(async () => {
  fake = await startFakeUpstream();
  receiver = await startOtlpReceiver();
  gw = await startTestGateway(
    {
      channels: [
        channel({
          name: 'primary',
          base_url: fake.baseUrl,
          keys: ['sk-primary-0001'],
          models: ['gpt-4o-mini'],
        }),
      ],
      routing: { max_attempts: 1 },
      usage: { flush_interval_ms: 20 },
    },
    { ADMIN_TOKEN, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url },
  );
});
afterAll(async () => {
  if (!closed) await gw?.close();
  await receiver?.close();
  await fake?.close();
});

const scrape = async () =>
  parsePromText(
    await (await fetch(`${gw.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).text(),
  );
const stats = async () =>
  (
    (await (
      await fetch(`${gw.url}/stats`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
    ).json()) as {
      channels: { channel: string; requests: number; errors: number }[];
    }
  ).channels.find((c) => c.channel === 'primary');
const attempts = (samples: ReturnType<typeof parsePromText>, outcome: string) =>
  sumOf(samples, 'switchboard_upstream_attempts_total', { channel: 'primary', outcome });

const leftTrace = 'a'.repeat(32);
const cutTrace = 'b'.repeat(32);

describe('upstream attempt outcomes', () => {
  it('a client that leaves while the upstream works is counted as client_closed, not a network failure', async () => {
    const before = await scrape();
    fake.enqueue({ kind: 'hang' });
    const id = newRequestId('client-left');
    const abort = new AbortController();
    const pending = chat(
      gw,
      id,
      {},
      { traceparent: `00-${leftTrace}-b7ad6b7169203331-01` },
      abort.signal,
    ).catch(() => null);
    await waitFor(() => fake.requests.length > 0, 'the upstream got the request');
    abort.abort();
    await pending;
    expect((await recordOf(gw, id)).status).toBe(499);
    const after = await scrape();
    expect(attempts(after, 'network') - attempts(before, 'network')).toBe(0);
    expect(attempts(after, 'client_closed') - attempts(before, 'client_closed')).toBe(1);
    expect(await stats()).toMatchObject({ requests: 1, errors: 0 });
  });

  it('a stream the upstream cut after its first bytes is counted as stream_broken, and as an error in /stats', async () => {
    const before = await scrape();
    fake.enqueue({ kind: 'drop', afterChunks: 2 });
    const id = newRequestId('cut-stream');
    const res = await chat(gw, id, { stream: true }, { traceparent: `00-${cutTrace}-b7ad6b7169203331-01` });
    await res.text();
    expect((await recordOf(gw, id)).errorCode).toBe('upstream_stream_error');
    const after = await scrape();
    expect(attempts(after, 'success') - attempts(before, 'success')).toBe(0);
    expect(attempts(after, 'stream_broken') - attempts(before, 'stream_broken')).toBe(1);
    expect(await stats()).toMatchObject({ requests: 2, errors: 1 });
  });

  it('traces say the same: the left attempt is no error, the cut stream is', async () => {
    await gw.close(); // exports the batched spans
    closed = true;
    const attemptOf = (traceId: string) =>
      receiver.spans.find((s) => s.traceId === traceId && s.kind === CLIENT_SPAN);
    expect(attemptOf(leftTrace)?.status.code).not.toBe(ERROR_STATUS);
    expect(attemptOf(leftTrace)?.attributes['error.type']).toBeUndefined();
    expect(attemptOf(cutTrace)?.status.code).toBe(ERROR_STATUS);
    expect(attemptOf(cutTrace)?.attributes['error.type']).toBe('upstream_stream_error');
  });
});
