import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClientKey } from '../../src/auth/key-service.js';
import { createLogger } from '../../src/runtime/node/logger.js';
import { recordOf } from '../accounting/harness.js';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';
import { channel, startTestGateway, type TestGateway } from '../support/start-gateway.js';

/**
 * Gemini clients may send their key as `?key=` in the URL. It must not reach the log lines
 * (the real pino logger, at debug level), the request log in the database, or its admin API.
 */
const ADMIN_TOKEN = 'test-admin-token-gemini-query-key-0123';

let fake: FakeUpstream;
let gw: TestGateway;
let key = '';
const lines: string[] = [];

beforeAll(async () => {
  fake = await startFakeUpstream();
  const logger = createLogger('debug', { write: (line: string) => lines.push(line) });
  gw = await startTestGateway(
    {
      channels: [
        channel({ name: 'oa', base_url: fake.baseUrl, keys: ['oa-key'], models: ['deepseek-chat'] }),
        channel({
          name: 'gm',
          provider: 'gemini',
          base_url: `${fake.url}/v1beta`,
          keys: ['gm-key'],
          models: ['gemini-2.5-flash'],
        }),
      ],
      routing: { max_attempts: 1 },
      usage: { flush_interval_ms: 20 },
    },
    { ADMIN_TOKEN },
    { logger },
  );
  ({ secret: key } = await createClientKey(gw.node.storage.keys, { name: 'query-key-client' }));
});
afterAll(async () => {
  await gw?.close();
  await fake?.close();
});

const BODY = JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] });

async function call(id: string, path: string, body = BODY): Promise<number> {
  const res = await fetch(`${gw.url}${path}${path.includes('?') ? '&' : '?'}key=${key}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-request-id': id },
    body,
  });
  const text = await res.text();
  expect(text).not.toContain(key);
  return res.status;
}

describe('a ?key= API key', () => {
  it('is redacted from the logger itself, in fields and messages', () => {
    const logger = createLogger('info', { write: (line: string) => lines.push(line) });
    logger.warn(
      { req: { url: `/v1beta/models/x:generateContent?alt=sse&key=${key}` } },
      `POST ...?key=${key}`,
    );
    const line = lines.at(-1) ?? '';
    expect(line).toContain('key=[redacted]');
    expect(line).toContain('alt=sse');
    expect(line).not.toContain(key);
  });

  it('never reaches the log lines, the request log or its API, whatever the exit', async () => {
    const run = `${process.pid}-${Date.now()}`;
    const ids = {
      translated: `gq-translated-${run}`,
      native: `gq-native-${run}`,
      stream: `gq-stream-${run}`,
      array: `gq-array-${run}`,
      upstreamError: `gq-upstream-error-${run}`,
      badRequest: `gq-bad-${run}`,
      unknownModel: `gq-unknown-${run}`,
    };
    expect(await call(ids.translated, '/v1beta/models/deepseek-chat:generateContent')).toBe(200);
    expect(await call(ids.native, '/v1beta/models/gemini-2.5-flash:generateContent')).toBe(200);
    expect(await call(ids.stream, '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse')).toBe(200);
    expect(await call(ids.array, '/v1beta/models/deepseek-chat:streamGenerateContent')).toBe(200);
    fake.enqueue({ kind: 'status', status: 500 });
    expect(
      await call(ids.upstreamError, '/v1beta/models/deepseek-chat:generateContent'),
    ).toBeGreaterThanOrEqual(500);
    expect(await call(ids.badRequest, '/v1beta/models/deepseek-chat:generateContent', '{}')).toBe(400);
    expect(await call(ids.unknownModel, '/v1beta/models/nope:generateContent')).toBe(404);

    // Every request made it into the durable request log (so the check below reads real rows).
    for (const id of Object.values(ids)) await recordOf(gw, id);
    const admin = (path: string) =>
      fetch(`${gw.url}${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } }).then((r) =>
        r.text(),
      );
    const list = await admin('/admin/api/logs?limit=100');
    for (const id of Object.values(ids)) expect(list).toContain(id);
    const pages = [
      list,
      await admin('/admin/api/logs/export'),
      await admin('/admin/api/logs/export?format=jsonl'),
    ];
    for (const id of Object.values(ids)) pages.push(await admin(`/admin/api/logs/${id}`));
    for (const page of pages) expect(page).not.toContain(key);

    // The upstream failure was logged, with its request id, and without the key.
    const logged = lines.join('');
    expect(logged).toContain(ids.upstreamError);
    expect(logged).not.toContain(key);
    // Nor did the key go upstream: Gemini channels get the channel's key, in a header.
    for (const request of fake.requests) {
      expect(request.path).not.toContain(key);
      expect(JSON.stringify(request.headers)).not.toContain(key);
    }
  });
});
