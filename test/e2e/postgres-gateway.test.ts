import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresStorage } from '../../src/storage/postgres/postgres-storage.js';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';
import { runCli, spawnCli } from '../support/cli-process.js';
import { waitFor } from '../support/http.js';
import { freshSchema, type PostgresSchema, postgresUrl } from '../support/services.js';

const server = await postgresUrl('the Postgres gateway e2e tests');
const ADMIN_TOKEN = 'admin-token-for-the-postgres-e2e';
const SECRET_KEY = 'sealing-key-for-the-postgres-e2e';
const listening = /Switchboard listening on http:\/\/127\.0\.0\.1:(\d+)/;

describe.skipIf(!server)('the gateway process on Postgres', { timeout: 120_000 }, () => {
  let dir: string;
  let fake: FakeUpstream;
  const schemas: PostgresSchema[] = [];
  const children = new Set<ChildProcess>();
  const schema = async () => {
    const made = await freshSchema(server ?? '');
    schemas.push(made);
    return made;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'switchboard-pg-e2e-'));
    fake = await startFakeUpstream();
    const config = {
      channels: [
        {
          name: 'fake',
          provider: 'openai-compatible',
          base_url: fake.baseUrl,
          keys: ['up-1'],
          models: ['gpt-fake'],
        },
      ],
      usage: { flush_interval_ms: 50 },
    };
    writeFileSync(join(dir, 'switchboard.yaml'), JSON.stringify(config));
  });
  afterEach(() => {
    for (const child of children) child.kill('SIGKILL');
    children.clear();
  });
  afterAll(async () => {
    await fake?.close();
    for (const made of schemas) await made.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const env = (url: string, extra: Record<string, string> = {}) => ({
    DATABASE_URL: url,
    ADMIN_TOKEN,
    SWITCHBOARD_SECRET_KEY: SECRET_KEY,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    ...extra,
  });

  const serve = (args: string[], vars: Record<string, string>) => {
    const child = spawnCli(['serve', ...args], dir, vars);
    children.add(child);
    let out = '';
    let err = '';
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.stderr?.on('data', (c: Buffer) => {
      err += c.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    return { child, exited, out: () => out, err: () => err };
  };

  it('serve --no-migrate refuses a schema that is behind; `switchboard migrate` migrates it, once', async () => {
    const fresh = await schema();
    const refused = serve(['--no-migrate'], env(fresh.url));
    expect(await refused.exited).toBe(1);
    expect(refused.err()).toContain('switchboard migrate');

    const first = await runCli(['migrate'], dir, env(fresh.url));
    expect(first.code).toBe(0);
    expect(first.out).toMatch(/postgres 127\.0\.0\.1:5432\/test: applied 6 migration\(s\)/);
    expect(first.out).not.toContain('@');
    const again = await runCli(['migrate', '--json'], dir, env(fresh.url));
    expect(JSON.parse(again.out)).toEqual({ database: 'postgres 127.0.0.1:5432/test', applied: [] });
  });

  it('refuses to start on Postgres without SWITCHBOARD_SECRET_KEY', async () => {
    const fresh = await schema();
    const vars: Record<string, string> = env(fresh.url);
    delete vars.SWITCHBOARD_SECRET_KEY;
    const res = serve([], vars);
    expect(await res.exited).toBe(1);
    expect(res.err()).toContain('SWITCHBOARD_SECRET_KEY is required');
  });

  it('serves chat, records its usage in Postgres, and lists keys and usage over the admin API', async () => {
    const fresh = await schema();
    const gw = serve([], env(fresh.url));
    const port = await waitFor(() => listening.exec(gw.out())?.[1], 'gateway start', 60_000);
    expect(gw.out()).toContain('(storage: postgres 127.0.0.1:5432/test)');
    const key = /\n {4}(sk-[A-Za-z0-9]{40})\n/.exec(gw.out())?.[1];
    expect(key).toBeTruthy();
    const base = `http://127.0.0.1:${port}`;
    const res = await fetch(`${base}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${key}`,
        'content-type': 'application/json',
        'x-request-id': 'pg-e2e-1',
      },
      body: JSON.stringify({ model: 'gpt-fake', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.status).toBe(200);
    const answer = (await res.json()) as { choices: { message: { content: string } }[] };
    expect(answer.choices[0]?.message.content).toBeTruthy();

    const admin = (path: string) =>
      fetch(`${base}${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } }).then(
        (r) => r.json() as Promise<Record<string, unknown>>,
      );
    const keys = (await admin('/admin/api/keys')) as { data: { name: string }[] };
    expect(keys.data.map((k) => k.name)).toEqual(['first-key']);
    const log = await waitFor(async () => {
      const page = (await admin('/admin/api/logs?limit=10')) as {
        data: { request_id: string; status: number }[];
      };
      return page.data.length > 0 ? page.data : null;
    }, 'the request in the log');
    expect(log).toMatchObject([{ request_id: 'pg-e2e-1', status: 200 }]);
    // The hourly totals are folded from the records by the shipper right after it writes them.
    const usage = await waitFor(async () => {
      const totals = (await admin('/admin/api/usage?interval=hour')) as { totals: { requests: number } };
      return totals.totals.requests > 0 ? totals : null;
    }, 'the request in the usage totals');
    expect(usage.totals.requests).toBe(1);

    gw.child.kill('SIGTERM');
    expect(await gw.exited).toBe(0);
    // What the process wrote is in the schema, read back through a fresh connection.
    const storage = await openPostgresStorage(fresh.url, { poolSize: 1, migrate: false });
    try {
      const [record] = await storage.usage.get('pg-e2e-1');
      expect(record).toMatchObject({ modelServed: 'gpt-fake', channel: 'fake', status: 200 });
      expect(await storage.keys.count()).toBe(1);
    } finally {
      await storage.close();
    }
  });
});
