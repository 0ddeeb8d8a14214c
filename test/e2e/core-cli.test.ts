import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/http.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
// Resolved here so the CLI can run with a temp folder as its working directory.
const TSX = import.meta.resolve('tsx');

let dir: string;
const running = new Set<ChildProcess>();

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'switchboard-cli-'));
});
afterEach(() => {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function env(extra: Record<string, string>): NodeJS.ProcessEnv {
  const clean = { ...process.env };
  for (const name of ['PORT', 'HOST', 'CONFIG', 'DATABASE_URL', 'LOG_LEVEL', 'BODY_LIMIT', 'CORS_ORIGINS'])
    delete clean[name];
  return { ...clean, LOG_LEVEL: 'silent', ...extra };
}

function start(
  args: string[],
  extraEnv: Record<string, string>,
): ChildProcess & { out: () => string; err: () => string } {
  const child = spawn(process.execPath, ['--import', TSX, MAIN, ...args], {
    cwd: dir,
    env: env(extraEnv),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let out = '';
  let err = '';
  child.stdout?.on('data', (c: Buffer) => {
    out += c.toString();
  });
  child.stderr?.on('data', (c: Buffer) => {
    err += c.toString();
  });
  return Object.assign(child, { out: () => out, err: () => err });
}

function run(
  args: string[],
  extraEnv: Record<string, string>,
): Promise<{ code: number | null; out: string; err: string }> {
  const child = start(args, extraEnv);
  return new Promise((resolve) => {
    child.on('close', (code) => {
      running.delete(child);
      resolve({ code, out: child.out(), err: child.err() });
    });
  });
}

function stop(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    child.on('close', (code) => {
      running.delete(child);
      resolve(code);
    });
    child.kill('SIGTERM');
  });
}

describe('switchboard keys', () => {
  it('creates, lists and revokes keys in a SQLite file, never storing or listing the secret', async () => {
    const db = { DATABASE_URL: `sqlite:${join(dir, 'keys', 'gateway.db')}` };
    const created = await run(['keys', 'create', '--name', 'ci-bot', '--json'], db);
    expect(created.code).toBe(0);
    const made = JSON.parse(created.out) as { id: string; name: string; key: string };
    expect(made.name).toBe('ci-bot');
    expect(made.key).toMatch(/^sk-[A-Za-z0-9]{40}$/);

    const listed = await run(['keys', 'list', '--json'], db);
    expect(listed.code).toBe(0);
    const keys = JSON.parse(listed.out) as { id: string; name: string; key: string; status: string }[];
    expect(keys.map((k) => [k.name, k.status])).toEqual([['ci-bot', 'active']]);
    expect(listed.out).not.toContain(made.key);
    expect(keys[0]?.key).toContain(made.key.slice(-4));

    const revoked = await run(['keys', 'revoke', 'ci-bot'], db);
    expect(revoked.code).toBe(0);
    const after = JSON.parse((await run(['keys', 'list', '--json'], db)).out) as {
      name: string;
      status: string;
    }[];
    expect(after.map((k) => [k.name, k.status])).toEqual([['ci-bot', 'revoked']]);
  });

  it('explains a missing --name', async () => {
    const res = await run(['keys', 'create'], { DATABASE_URL: `sqlite:${join(dir, 'usage.db')}` });
    expect(res.code).toBe(2);
    expect(res.err).toContain('--name');
  });
});

describe('switchboard serve', () => {
  const listening = /Switchboard listening on http:\/\/127\.0\.0\.1:(\d+)/;

  it('prints the first key once, and not again on restart; the key works', async () => {
    const db = { DATABASE_URL: `sqlite:${join(dir, 'serve', 'gateway.db')}`, PORT: '0', HOST: '127.0.0.1' };
    const first = start(['serve'], db);
    const port = await waitFor(() => listening.exec(first.out())?.[1], 'first start', 15_000);
    const key = /\n {4}(sk-[A-Za-z0-9]{40})\n/.exec(first.out())?.[1];
    expect(key).toBeTruthy();
    const res = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'mock-1', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.status).toBe(200);
    expect(await stop(first)).toBe(0);

    const second = start(['serve'], db);
    await waitFor(() => listening.exec(second.out()), 'second start', 15_000);
    expect(second.out()).not.toMatch(/sk-[A-Za-z0-9]{40}/);
    expect(second.out()).not.toContain('shown only this once');
    await stop(second);
  });

  it('prints URLs that work when HOST is an IPv6 address (brackets around it)', async () => {
    const child = start(['serve'], {
      DATABASE_URL: 'sqlite::memory:',
      PORT: '0',
      HOST: '::1',
      METRICS_PORT: '0',
    });
    const shown = await waitFor(
      () => /Metrics \(no token\): (\S+)/.exec(child.out())?.[1],
      'the start lines',
      15_000,
    );
    const gateway = /Switchboard listening on (\S+)/.exec(child.out())?.[1] ?? '';
    expect((await fetch(`${gateway}/health`)).status).toBe(200);
    expect((await fetch(shown)).status).toBe(200);
    await stop(child);
  });

  it('exits 1 with one message naming the field of a bad config file', async () => {
    const config = join(dir, 'bad.yaml');
    writeFileSync(
      config,
      'channels:\n  - name: up\n    provider: openai-compatible\n    base_url: not-a-url\n',
    );
    const res = await run(['serve'], {
      CONFIG: config,
      DATABASE_URL: `sqlite:${join(dir, 'bad.db')}`,
      PORT: '0',
      HOST: '127.0.0.1',
    });
    expect(res.code).toBe(1);
    const lines = res.err.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('channels.0.base_url');
    expect(res.out).not.toContain('listening');
  });

  it('exits 1 naming the field for an unknown provider', async () => {
    const config = join(dir, 'unknown-provider.yaml');
    writeFileSync(config, 'channels:\n  - name: up\n    provider: nosuch\n    key: k\n');
    const res = await run(['serve'], {
      CONFIG: config,
      DATABASE_URL: `sqlite:${join(dir, 'bad2.db')}`,
      PORT: '0',
    });
    expect(res.code).toBe(1);
    expect(res.err.trim().split('\n')).toHaveLength(1);
    expect(res.err).toContain('channels.0.provider');
  });
});
