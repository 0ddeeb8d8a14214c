import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';
import { errorOf, waitFor } from '../support/http.js';
import { channel, type TestGateway } from '../support/start-gateway.js';
import { chat, readSse, startBlackHole, startGateway } from './support.js';

const hasPython = spawnSync('python3', ['--version']).status === 0;
let fake: FakeUpstream;
let hole: Awaited<ReturnType<typeof startBlackHole>>;
const gateways: TestGateway[] = [];

beforeAll(async () => {
  fake = await startFakeUpstream();
  hole = await startBlackHole();
});
afterAll(async () => {
  await Promise.all(gateways.map((g) => g.close()));
  await fake.close();
  hole?.close();
});

async function gatewayWith(timeout: Record<string, number>, extra: Record<string, unknown>[] = []) {
  const gw = await startGateway({
    channels: [
      channel({ name: 'fake', base_url: fake.baseUrl, keys: ['k1'], models: ['m'], timeout }),
      ...extra,
    ],
    routing: { max_attempts: 1 },
  });
  gateways.push(gw);
  return gw;
}

describe('per-channel time-outs', () => {
  it.skipIf(!hasPython)(
    'black-holed connect: connect_ms fires, 504 naming the connect time-out',
    async () => {
      if (!hole) throw new Error('python3 listener did not start');
      const gw = await startGateway({
        channels: [
          channel({
            name: 'hole',
            base_url: `http://127.0.0.1:${hole.port}/v1`,
            keys: ['k'],
            models: ['m'],
            timeout: { connect_ms: 200, first_byte_ms: 20_000 },
          }),
        ],
        routing: { max_attempts: 1 },
      });
      gateways.push(gw);
      const res = await chat(gw);
      expect(res.status).toBe(504);
      const error = await errorOf(res);
      expect(error.code).toBe('upstream_timeout');
      expect(error.message).toContain('connect time-out (200 ms)');
    },
  );

  it.skipIf(!hasPython)('black-holed connect fails over to a healthy channel', async () => {
    if (!hole) throw new Error('python3 listener did not start');
    const gw = await startGateway({
      channels: [
        channel({
          name: 'hole',
          base_url: `http://127.0.0.1:${hole.port}/v1`,
          keys: ['k'],
          models: ['m'],
          priority: 0,
          timeout: { connect_ms: 200 },
        }),
        channel({ name: 'good', base_url: fake.baseUrl, keys: ['k-good'], models: ['m'], priority: 1 }),
      ],
    });
    gateways.push(gw);
    const res = await chat(gw);
    expect(res.status).toBe(200);
    const usage = await waitFor(() => gw.usage.at(-1), 'usage record');
    expect(usage.attempts.map((a) => a.channel)).toEqual(['hole', 'good']);
  });

  // 503: an overloaded proxy in front of a model. 400: a client error cut short is no answer to
  // relay either (it would reach the client as broken JSON).
  for (const [status, stream] of [
    [503, false],
    [503, true],
    [400, false],
  ] as const)
    it(`an error answer (${status}) whose body stalls is a time-out, and the next channel answers (stream: ${stream})`, async () => {
      // Headers at once, part of a body, then nothing.
      const stalling: Server = createServer((_req, res) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.write('{"error":{"message":"overl');
      });
      await new Promise<void>((resolve) => stalling.listen(0, '127.0.0.1', resolve));
      try {
        const gw = await startGateway({
          channels: [
            channel({
              name: 'stalling',
              base_url: `http://127.0.0.1:${(stalling.address() as AddressInfo).port}/v1`,
              keys: ['k-stall'],
              models: ['m'],
              priority: 0,
              timeout: { first_byte_ms: 300, total_ms: 300 },
            }),
            channel({ name: 'good', base_url: fake.baseUrl, keys: ['k-good'], models: ['m'], priority: 1 }),
          ],
        });
        gateways.push(gw);
        // Without the time-out the answer never comes: the client gives up after 10 s.
        const res = await chat(gw, { stream }, { signal: AbortSignal.timeout(10_000) });
        expect(res.status).toBe(200);
        await res.text();
        const usage = await waitFor(() => gw.usage.at(-1), 'usage record');
        expect(usage.attempts.map((a) => [a.channel, a.status])).toEqual([
          ['stalling', status],
          ['good', 200],
        ]);
      } finally {
        stalling.closeAllConnections();
        stalling.close();
      }
    });

  it('slow headers: first_byte_ms fires, 504, and the upstream request is aborted', async () => {
    const gw = await gatewayWith({ first_byte_ms: 300 });
    fake.enqueue({ kind: 'hang' });
    const before = fake.requests.length;
    const res = await chat(gw, { stream: true });
    expect(res.status).toBe(504);
    expect((await errorOf(res)).message).toContain('first byte time-out (300 ms)');
    const sent = fake.requests[before];
    await waitFor(() => sent?.abortedAt, 'upstream abort');
  });

  it('total_ms bounds a non-stream request', async () => {
    const gw = await gatewayWith({ total_ms: 300 });
    fake.enqueue({ kind: 'ok', delayMs: 5_000 });
    const res = await chat(gw);
    expect(res.status).toBe(504);
    expect((await errorOf(res)).message).toContain('total time-out (300 ms)');
  });

  it('stall after chunk k: idle_ms ends the stream with one terminal error event, no [DONE]', async () => {
    const gw = await gatewayWith({ idle_ms: 300 });
    fake.enqueue({ kind: 'stall', afterChunks: 2 });
    const res = await chat(gw, { stream: true });
    expect(res.status).toBe(200);
    const sse = readSse(await res.text());
    expect(sse.done).toBe(false);
    expect(sse.errors).toEqual([expect.objectContaining({ code: 'upstream_timeout' })]);
    expect(JSON.parse(sse.data.at(-1) ?? '{}').error).toBeDefined();
    expect('fake answer from m'.startsWith(sse.content)).toBe(true);
  });

  it('a slow drip inside idle_ms completes normally', async () => {
    const gw = await gatewayWith({ idle_ms: 1_000, first_byte_ms: 1_000 });
    fake.enqueue({ kind: 'drip', intervalMs: 100 });
    const res = await chat(gw, { stream: true });
    const sse = readSse(await res.text());
    expect(sse).toMatchObject({ content: 'fake answer from m', errors: [], done: true });
  });
});
