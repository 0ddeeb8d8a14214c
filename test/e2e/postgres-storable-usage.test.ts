import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';
import { spawnCli } from '../support/cli-process.js';
import { waitFor } from '../support/http.js';
import {
  freshRedisPrefix,
  freshSchema,
  type PostgresSchema,
  postgresUrl,
  redisUrl,
} from '../support/services.js';

const server = await postgresUrl('the Postgres usage-shipping e2e tests');
const redis = await redisUrl('the Postgres usage-shipping e2e tests (Redis stream buffer)');
const ADMIN_TOKEN = 'admin-token-for-the-storable-usage-e2e';

/**
 * What a client or an upstream sends must never make a usage record that Postgres refuses: one
 * such record held back every record shipped after it, for good (the shipper retries its batch),
 * until the buffer filled and the gateway refused all model requests.
 */
// Both buffers ship through the same Postgres sink: the file journal (no Redis) and the Redis stream.
describe.skipIf(!server).each([
  { buffer: 'file journal', withRedis: false },
  // Without Redis here, redisUrl said so (and fails the run under REQUIRE_SERVICES=1).
  ...(redis ? [{ buffer: 'Redis stream', withRedis: true }] : []),
])(
  'usage records on Postgres through the $buffer, whatever the request held',
  { timeout: 120_000 },
  ({ withRedis }) => {
    let dir: string;
    let fake: FakeUpstream;
    let schema: PostgresSchema;
    let child: ChildProcess | undefined;
    const keys = withRedis && redis ? freshRedisPrefix(redis) : null;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'switchboard-pg-storable-'));
      fake = await startFakeUpstream();
      const channel = {
        provider: 'openai-compatible',
        base_url: fake.baseUrl,
        keys: ['up-1'],
        models: ['gpt-fake'],
      };
      writeFileSync(
        join(dir, 'switchboard.yaml'),
        JSON.stringify({ channels: [{ name: 'fake', ...channel }], usage: { flush_interval_ms: 50 } }),
      );
      schema = await freshSchema(server ?? '');
    });
    afterAll(async () => {
      child?.kill('SIGKILL');
      await fake?.close();
      await schema?.drop();
      await keys?.drop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('refuses unstorable model names with a 400, keeps odd upstream counts out, and ships every record', async () => {
      child = spawnCli(['serve'], dir, {
        DATABASE_URL: schema.url,
        ADMIN_TOKEN,
        SWITCHBOARD_SECRET_KEY: 'sealing-key-for-the-storable-usage-e2e',
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'silent',
        ...(keys && redis ? { REDIS_URL: redis, REDIS_KEY_PREFIX: keys.prefix } : {}),
      });
      let out = '';
      child.stdout?.on('data', (c: Buffer) => {
        out += c.toString();
      });
      const port = await waitFor(
        () => /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out)?.[1],
        'start',
        60_000,
      );
      const key = /\n {4}(sk-[A-Za-z0-9]{40})\n/.exec(out)?.[1];
      const base = `http://127.0.0.1:${port}`;
      const chat = (id: string, model: string) =>
        fetch(`${base}/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'x-request-id': id },
          body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
        });
      const admin = <T>(path: string) =>
        fetch(`${base}${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } }).then(
          (r) => r.json() as Promise<T>,
        );

      // Model names: a NUL (Postgres text cannot hold one) or a name too long for the rollups' index.
      for (const [id, model] of [
        ['nul-model', 'gpt-fake\u0000x'],
        ['control-model', 'gpt-fake\u0007'],
        // Random, so that Postgres cannot compress it under its index entry bound.
        ['long-model', randomBytes(3_750).toString('base64')],
      ] as const) {
        const res = await chat(id, model);
        expect(res.status, id).toBe(400);
        const body = (await res.json()) as { error: { code: string; param: string; message: string } };
        expect(body.error).toMatchObject({ code: 'invalid_request', param: 'model' });
        expect(body.error.message).not.toContain('\u0000');
      }

      // Counts a misbehaving upstream reports: not token counts, so the gateway estimates instead.
      const completion = (usage: Record<string, unknown>) => ({
        kind: 'status' as const,
        status: 200,
        body: {
          id: 'chatcmpl-odd',
          object: 'chat.completion',
          created: 1,
          model: 'gpt-fake',
          choices: [
            { index: 0, message: { role: 'assistant', content: 'odd counts' }, finish_reason: 'stop' },
          ],
          usage,
        },
      });
      fake.enqueue(
        completion({ prompt_tokens: 1.5, completion_tokens: 2, total_tokens: 3.5 }),
        completion({ prompt_tokens: 3e9, completion_tokens: -4, total_tokens: 3e9 }),
      );
      for (const id of ['fraction-counts', 'huge-counts'])
        expect((await chat(id, 'gpt-fake')).status, id).toBe(200);
      expect((await chat('plain', 'gpt-fake')).status).toBe(200);

      const ids = ['nul-model', 'control-model', 'long-model', 'fraction-counts', 'huge-counts', 'plain'];
      type Row = {
        request_id: string;
        status: number;
        prompt_tokens: number | null;
        count_source: string | null;
      };
      const rows = await waitFor(
        async () => {
          const page = await admin<{ data: Row[] }>('/admin/api/logs?limit=50');
          return page.data.length === ids.length ? page.data : null;
        },
        'every request in the Postgres log',
        15_000,
      );
      expect(rows.map((r) => r.request_id).sort()).toEqual([...ids].sort());
      for (const row of rows.filter((r) => r.request_id.endsWith('-counts'))) {
        expect(row.status).toBe(200);
        expect(row.count_source, row.request_id).toMatch(/^estimated/);
        expect(Number.isInteger(row.prompt_tokens)).toBe(true);
      }
      const health = await fetch(`${base}/health`).then(
        (r) => r.json() as Promise<{ usage: Record<string, unknown> }>,
      );
      expect(health.usage).toMatchObject({ backlog: 0, last_error: null });
    });
  },
);
