import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Logger } from '../../src/spec/logger.js';
import type { UsageRecord } from '../../src/spec/usage.js';
import { chat, newRequestId, recordOf, startFakeUpstream } from '../accounting/harness.js';
import type { FakeUpstream } from '../fake-upstream/server.js';
import { type OtlpReceiver, type ReceivedSpan, startOtlpReceiver } from '../support/otlp-receiver.js';
import { channel, startTestGateway, type TestGateway } from '../support/start-gateway.js';

const SERVER = 2;
const CLIENT = 3;
const ERROR = 2;
const traceId = (n: number) => `${n}`.padStart(32, 'a');
const parentId = 'b7ad6b7169203331';
const traceparent = (n: number) => `00-${traceId(n)}-${parentId}-01`;

describe('OpenTelemetry traces over OTLP/HTTP', () => {
  let fake: FakeUpstream;
  let receiver: OtlpReceiver;
  let gw: TestGateway;
  const ids = { json: newRequestId('trace-json'), stream: newRequestId('trace-stream') };
  const records: Record<string, UsageRecord> = {};

  beforeAll(async () => {
    fake = await startFakeUpstream();
    receiver = await startOtlpReceiver();
    const timeout = { connect_ms: 2_000, first_byte_ms: 5_000, idle_ms: 2_000, total_ms: 5_000 };
    gw = await startTestGateway(
      {
        channels: [
          channel({
            name: 'primary',
            base_url: fake.baseUrl,
            keys: ['sk-primary-0001'],
            models: ['gpt-4o-mini'],
            model_map: { 'gpt-4o-mini': 'gpt-4o-mini-2024' },
            timeout,
          }),
          channel({
            name: 'backup',
            provider: 'deepseek',
            base_url: fake.baseUrl,
            keys: ['sk-backup-0001'],
            models: ['gpt-4o-mini'],
            priority: 1,
            timeout,
          }),
        ],
        routing: { max_attempts: 2, backoff: { base_ms: 1, max_ms: 2, retry_after_max_ms: 1_000 } },
        usage: { flush_interval_ms: 20 },
      },
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_SERVICE_NAME: 'switchboard-under-test',
        OTEL_EXPORTER_OTLP_HEADERS: 'x-collector-token=secret%20value',
      },
    );
    const json = await chat(gw, ids.json, {}, { traceparent: traceparent(1) });
    expect(json.status).toBe(200);
    await json.text();
    fake.enqueue({ kind: 'status', status: 500, body: { error: { message: 'boom' } } });
    const stream = await chat(gw, ids.stream, { stream: true }, { traceparent: traceparent(2) });
    expect(stream.status).toBe(200);
    await stream.text();
    records.json = await recordOf(gw, ids.json);
    records.stream = await recordOf(gw, ids.stream);
    // A graceful shutdown exports the spans still batched.
    await gw.close();
  });
  afterAll(async () => {
    await receiver.close();
    await fake.close();
  });

  const inTrace = (n: number) => receiver.spans.filter((s) => s.traceId === traceId(n));
  const upstreamTraceparents = () => fake.requests.map((r) => String(r.headers.traceparent ?? ''));

  it('exports with the service name and the configured headers', () => {
    expect(receiver.spans.length).toBeGreaterThanOrEqual(5);
    expect(receiver.spans[0]?.resource['service.name']).toBe('switchboard-under-test');
    expect(receiver.exports[0]?.['x-collector-token']).toBe('secret value');
  });

  it("continues the client's trace: a SERVER span per request, a CLIENT span per attempt, traceparent upstream", () => {
    const record = records.json as UsageRecord;
    const spans = inTrace(1);
    const server = spans.find((s) => s.kind === SERVER) as ReceivedSpan;
    const client = spans.find((s) => s.kind === CLIENT) as ReceivedSpan;
    expect(spans).toHaveLength(2);
    expect(server.parentSpanId).toBe(parentId);
    expect(server.name).toBe('POST /v1/chat/completions');
    expect(server.attributes).toMatchObject({
      'http.route': '/v1/chat/completions',
      'http.response.status_code': 200,
      'gen_ai.operation.name': 'chat',
      'gen_ai.system': 'openai-compatible',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.response.model': record.modelServed,
      'gen_ai.usage.input_tokens': record.usage?.promptTokens,
      'gen_ai.usage.output_tokens': record.usage?.completionTokens,
      'switchboard.channel': 'primary',
      'switchboard.request_id': ids.json,
    });
    expect(client.parentSpanId).toBe(server.spanId);
    expect(client.name).toBe('chat gpt-4o-mini-2024');
    expect(client.attributes).toMatchObject({
      'gen_ai.system': 'openai-compatible',
      'gen_ai.request.model': 'gpt-4o-mini-2024',
      'gen_ai.usage.input_tokens': record.usage?.promptTokens,
      'gen_ai.usage.output_tokens': record.usage?.completionTokens,
      'http.response.status_code': 200,
      'switchboard.channel': 'primary',
    });
    expect(upstreamTraceparents()).toContain(`00-${traceId(1)}-${client.spanId}-01`);
  });

  it('a failover is two attempt spans under one request span, which ends with the stream', () => {
    const record = records.stream as UsageRecord;
    const spans = inTrace(2);
    const server = spans.find((s) => s.kind === SERVER) as ReceivedSpan;
    const attempts = spans.filter((s) => s.kind === CLIENT);
    expect(attempts).toHaveLength(2);
    for (const a of attempts) expect(a.parentSpanId).toBe(server.spanId);
    const [failed, served] = [
      attempts.find((a) => a.attributes['switchboard.channel'] === 'primary'),
      attempts.find((a) => a.attributes['switchboard.channel'] === 'backup'),
    ];
    expect(failed?.attributes['http.response.status_code']).toBe(500);
    expect(failed?.status.code).toBe(ERROR);
    expect(served?.attributes).toMatchObject({
      'gen_ai.system': 'deepseek',
      'gen_ai.usage.output_tokens': record.usage?.completionTokens,
    });
    expect(server.attributes).toMatchObject({
      'gen_ai.system': 'deepseek',
      'switchboard.channel': 'backup',
      'switchboard.attempts': 2,
      'gen_ai.usage.output_tokens': record.usage?.completionTokens,
    });
    for (const a of attempts) expect(upstreamTraceparents()).toContain(`00-${traceId(2)}-${a.spanId}-01`);
  });
});

describe('a collector that refuses the spans', () => {
  it('is reported in the log, without its credentials, and does not hold up the answer or the shutdown', async () => {
    const refusing = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(400, { 'content-type': 'application/json' }).end('{}'));
    });
    await new Promise<void>((resolve) => refusing.listen(0, '127.0.0.1', resolve));
    const fake = await startFakeUpstream();
    const lines: { level: string; obj: object; msg?: string }[] = [];
    const logger: Logger = {
      debug() {},
      info: (obj, msg) => lines.push({ level: 'info', obj, ...(msg ? { msg } : {}) }),
      warn: (obj, msg) => lines.push({ level: 'warn', obj, ...(msg ? { msg } : {}) }),
      error: (obj, msg) => lines.push({ level: 'error', obj, ...(msg ? { msg } : {}) }),
    };
    const gw = await startTestGateway(
      {
        channels: [
          channel({ name: 'only', base_url: fake.baseUrl, keys: ['sk-only-0001'], models: ['gpt-4o-mini'] }),
        ],
      },
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(refusing.address() as AddressInfo).port}`,
        OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20collector-secret-0001',
      },
      { logger },
    );
    try {
      const res = await chat(gw, newRequestId('refused-spans'));
      expect(res.status).toBe(200);
      await res.text();
    } finally {
      await gw.close();
      await fake.close();
      await new Promise((resolve) => refusing.close(resolve));
    }
    expect(lines.some((l) => l.level === 'warn' && l.msg?.startsWith('tracing:'))).toBe(true);
    expect(JSON.stringify(lines)).not.toContain('collector-secret-0001');
  });
});
