import type { LogEntry } from '../../src/admin/usage-routes.js';
import type { UsageRecord } from '../../src/spec/usage.js';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';
import { postJson, waitFor } from '../support/http.js';
import { type GatewayUnderTest, startGateway } from '../support/start-any-gateway.js';
import { channel, startTestGateway, type TestGateway } from '../support/start-gateway.js';

export const UPSTREAM_KEY = 'sk-upstream-test-0001';

/**
 * A gateway with one OpenAI channel on the fake upstream (which speaks the Responses API too, so
 * `/v1/responses` is relayed as sent), and fast usage flushes.
 */
export async function startAccountingGateway(
  fake: FakeUpstream,
  extra: Record<string, unknown> = {},
  env: Record<string, string> = {},
  timeout: Record<string, number> = { connect_ms: 2_000, first_byte_ms: 5_000, idle_ms: 600, total_ms: 600 },
): Promise<TestGateway> {
  return startTestGateway(accountingConfig(fake, extra, timeout), env);
}

/**
 * The same gateway on the runtime GATEWAY_RUNTIME names (test/support/start-any-gateway.ts): Node,
 * or the Worker in workerd. Its suite (limits.test.ts) proves how many requests a limit admits
 * and none waits on a time-out, so the upstream time-outs are ones a starved machine does not
 * hit: with 600 ms, a 50-way burst on two busy CPUs saw the fake upstream answer after 600 ms
 * and the gateway rightly answered 504 upstream_timeout where the test expects 200 or 429.
 */
export async function startAccountingGatewayUnderTest(
  fake: FakeUpstream,
  extra: Record<string, unknown> = {},
  env: Record<string, string> = {},
): Promise<GatewayUnderTest> {
  return startGateway(
    accountingConfig(fake, extra, {
      connect_ms: 2_000,
      first_byte_ms: 5_000,
      idle_ms: 10_000,
      total_ms: 10_000,
    }),
    env,
  );
}

function accountingConfig(
  fake: FakeUpstream,
  extra: Record<string, unknown>,
  timeout: Record<string, number>,
): Record<string, unknown> {
  return {
    channels: [
      channel({
        name: 'fake',
        provider: 'openai',
        base_url: fake.baseUrl,
        keys: [UPSTREAM_KEY],
        models: ['gpt-4o-mini'],
        timeout,
      }),
    ],
    routing: { max_attempts: 1 },
    usage: { flush_interval_ms: 20 },
    ...extra,
  };
}

export { startFakeUpstream };

let counter = 0;
export function newRequestId(label: string): string {
  counter++;
  return `acct-${label}-${process.pid}-${counter}`;
}

export function chat(
  gw: Pick<TestGateway, 'url' | 'key'>,
  requestId: string,
  fields: Record<string, unknown> = {},
  headers: Record<string, string> = {},
  signal?: AbortSignal,
): Promise<Response> {
  return fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${gw.key}`,
      'content-type': 'application/json',
      'x-request-id': requestId,
      ...headers,
    },
    body: JSON.stringify({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Tell me something about accounting.' }],
      ...fields,
    }),
    ...(signal ? { signal } : {}),
  });
}

/** Waits for the request's record in the sink, then for it in the durable log; returns both. */
export async function recordOf(gw: TestGateway, requestId: string): Promise<UsageRecord> {
  await waitFor(() => gw.usage.some((r) => r.requestId === requestId), `usage record ${requestId}`);
  const durable = await waitForAsync(async () => {
    const found = await gw.node.storage.usage.get(requestId);
    return found.length > 0 ? found : null;
  }, `durable record ${requestId}`);
  const inSink = gw.usage.filter((r) => r.requestId === requestId);
  if (inSink.length !== 1 || durable.length !== 1)
    throw new Error(`expected one record for ${requestId}: sink ${inSink.length}, store ${durable.length}`);
  return durable[0] as UsageRecord;
}

/**
 * The request's one entry in the request log, through the admin API (any runtime). On Node it
 * also checks that the usage sink got exactly one record for it, as recordOf does.
 */
export async function logEntryOf(gw: GatewayUnderTest, requestId: string): Promise<LogEntry> {
  const entry = await gw.logOf(requestId);
  const sink = gw.node?.usage;
  if (sink) {
    await waitFor(() => sink.some((r) => r.requestId === requestId), `usage record ${requestId}`);
    const inSink = sink.filter((r) => r.requestId === requestId).length;
    if (inSink !== 1) throw new Error(`expected one record for ${requestId} in the sink, got ${inSink}`);
  }
  return entry;
}

export async function waitForAsync<T>(
  check: () => Promise<T | null>,
  what: string,
  timeoutMs = 5_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Reads a streamed body until `events` SSE events arrived, then aborts the request. */
export async function readEventsThenAbort(
  res: Response,
  events: number,
  abort: AbortController,
): Promise<string> {
  const reader = res.body?.getReader();
  if (!reader) throw new Error('no body');
  const decoder = new TextDecoder();
  let text = '';
  while ((text.match(/\n\n/g) ?? []).length < events) {
    const { done, value } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  abort.abort();
  await reader.cancel().catch(() => {});
  return text;
}

export { postJson, waitFor };
