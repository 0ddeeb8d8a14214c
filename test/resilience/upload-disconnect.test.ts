import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Logger } from '../../src/spec/logger.js';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';
import { waitFor } from '../support/http.js';
import { channel, startTestGateway, type TestGateway } from '../support/start-gateway.js';

interface LogLine {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly obj: object;
  readonly msg: string | undefined;
}

const lines: LogLine[] = [];
const capture: Logger = {
  debug: (obj, msg) => lines.push({ level: 'debug', obj, msg }),
  info: (obj, msg) => lines.push({ level: 'info', obj, msg }),
  warn: (obj, msg) => lines.push({ level: 'warn', obj, msg }),
  error: (obj, msg) => lines.push({ level: 'error', obj, msg }),
};

const ADMIN_TOKEN = 'test-admin-token-upload-0123456789';
const admin = async <T>(path: string): Promise<T> => {
  const res = await fetch(`${gw.url}${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as T;
};

let fake: FakeUpstream;
let gw: TestGateway;

beforeAll(async () => {
  fake = await startFakeUpstream();
  gw = await startTestGateway(
    { channels: [channel({ name: 'fake', base_url: fake.baseUrl, keys: ['k1'], models: ['m'] })] },
    { ADMIN_TOKEN },
    { logger: capture },
  );
});
afterAll(async () => {
  await gw?.close();
  await fake?.close();
});

/** Sends the headers of a 200 kB body (or a chunked one) and its first bytes, then hangs up. */
function abandonUpload(path: string, framing: 'length' | 'chunked' = 'length'): Promise<void> {
  const start = '{"model":"m","messages":[{"role":"user","content":"';
  const { port } = new URL(gw.url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port: Number(port) }, () => {
      socket.write(
        [
          `POST ${path} HTTP/1.1`,
          `host: 127.0.0.1:${port}`,
          `authorization: Bearer ${gw.key}`,
          'content-type: application/json',
          framing === 'chunked' ? 'transfer-encoding: chunked' : 'content-length: 200000',
          '',
          framing === 'chunked' ? `${start.length.toString(16)}\r\n${start}\r\n` : start,
        ].join('\r\n'),
        () => {
          socket.destroy();
          resolve();
        },
      );
    });
    socket.once('error', reject);
  });
}

describe('a client that hangs up mid-upload', () => {
  it('is recorded as 499 client_closed at info level, not as a server error', async () => {
    await abandonUpload('/v1/chat/completions');
    const record = await waitFor(() => gw.usage.at(-1), 'usage record');
    expect(record).toMatchObject({ status: 499, errorCode: 'client_closed', attempts: [] });
    expect(fake.requests).toHaveLength(0);
    const line = await waitFor(
      () =>
        lines.find((l) => l.msg === 'the client closed the connection before sending the whole request body'),
      'info line',
    );
    expect(line.level).toBe('info');
    expect(lines.filter((l) => l.level === 'error')).toEqual([]);
  });

  it('is recorded the same way on the Anthropic front door', async () => {
    const before = gw.usage.length;
    await abandonUpload('/v1/messages');
    const record = await waitFor(() => gw.usage[before], 'usage record');
    expect(record).toMatchObject({ status: 499, errorCode: 'client_closed' });
    expect(lines.filter((l) => l.level === 'error')).toEqual([]);
  });

  it('is recorded the same way when the body is chunked (no declared length)', async () => {
    const before = gw.usage.length;
    await abandonUpload('/v1/chat/completions', 'chunked');
    const record = await waitFor(() => gw.usage[before], 'usage record');
    expect(record).toMatchObject({ status: 499, errorCode: 'client_closed', attempts: [] });
    expect(lines.filter((l) => l.level === 'error')).toEqual([]);
  });

  it('stays out of the error counts: usage totals, the dashboard rate and the channel counters', async () => {
    // A client that leaves while the upstream is thinking: the cut attempt is not the channel's fault.
    fake.enqueue({ kind: 'hang' });
    const controller = new AbortController();
    const pending = fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${gw.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }),
      signal: controller.signal,
    }).catch(() => null);
    await waitFor(() => fake.requests.length === 1, 'upstream request');
    controller.abort();
    await pending;
    await waitFor(() => gw.usage.length === 4 && gw.usage[3], 'usage record');
    expect(gw.usage.map((u) => u.status)).toEqual([499, 499, 499, 499]);
    const usage = await waitForUsage(4);
    expect(usage.totals).toMatchObject({ requests: 4, errors: 0, error_rate: 0 });
    const routing = await admin<{ channels: { channel: string; errors: number; requests: number }[] }>(
      '/admin/api/stats/routing',
    );
    expect(routing.channels[0]).toMatchObject({ channel: 'fake', requests: 1, errors: 0 });
  });
});

interface UsageTotals {
  totals: { requests: number; errors: number; error_rate: number };
}

/** The usage API once the batched writer has stored `n` records. */
async function waitForUsage(n: number): Promise<UsageTotals> {
  for (let i = 0; i < 100; i++) {
    const usage = await admin<UsageTotals>('/admin/api/usage?interval=minute');
    if (usage.totals.requests >= n) return usage;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`the usage API never reached ${n} records`);
}
