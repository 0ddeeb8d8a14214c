import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { chat, newRequestId, recordOf } from '../accounting/harness.js';
import { parsePromText, sumOf } from '../support/prom-text.js';
import { channel, startTestGateway, type TestGateway } from '../support/start-gateway.js';

const ADMIN_TOKEN = 'admin-token-for-first-byte-time';
const BODY_TAIL_MS = 800;
let upstream: Server;
let gw: TestGateway;

beforeAll(async () => {
  // Headers and the first body bytes at once; the rest of the JSON later (a slow upstream body).
  upstream = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const body = JSON.stringify({
        id: 'x',
        object: 'chat.completion',
        model: 'gpt-4o-mini',
        choices: [{ index: 0, message: { role: 'assistant', content: 'hello' }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 5, completion_tokens: 1, total_tokens: 6 },
      });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(body.slice(0, 10));
      setTimeout(() => res.end(body.slice(10)), BODY_TAIL_MS);
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/v1`;
  gw = await startTestGateway(
    {
      channels: [
        channel({ name: 'primary', base_url: base, keys: ['sk-primary-0001'], models: ['gpt-4o-mini'] }),
      ],
      usage: { flush_interval_ms: 20 },
    },
    { ADMIN_TOKEN },
  );
});
afterAll(async () => {
  await gw?.close();
  await new Promise((resolve) => upstream?.close(resolve));
});

it('the first-byte time of a JSON answer is when it started arriving, not when its body ended', async () => {
  const id = newRequestId('ttfb');
  const res = await chat(gw, id);
  expect(res.status).toBe(200);
  await res.text();
  const record = await recordOf(gw, id);
  // The whole answer took the body's tail; its first byte came at once.
  expect(record.latencyMs).toBeGreaterThanOrEqual(BODY_TAIL_MS);
  expect(record.firstByteMs).not.toBeNull();
  expect(record.firstByteMs ?? Number.POSITIVE_INFINITY).toBeLessThan(BODY_TAIL_MS);
  const samples = parsePromText(
    await (await fetch(`${gw.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).text(),
  );
  const where = { route: '/v1/chat/completions', model: 'gpt-4o-mini', channel: 'primary' };
  expect(sumOf(samples, 'switchboard_upstream_first_byte_seconds_count', where)).toBe(1);
  expect(sumOf(samples, 'switchboard_upstream_first_byte_seconds_sum', where)).toBeLessThan(
    BODY_TAIL_MS / 1000,
  );
});
