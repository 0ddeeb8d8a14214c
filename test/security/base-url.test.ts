import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, resolveSettings } from '../../src/config/settings.js';
import { type AdminGateway, startAdminGateway } from '../admin/admin-helpers.js';
import { errorOf } from '../support/http.js';

let open: AdminGateway;
let denying: AdminGateway;

beforeAll(async () => {
  open = await startAdminGateway();
  denying = await startAdminGateway({ upstreams: { deny_private: true } });
});
afterAll(async () => {
  await open?.close();
  await denying?.close();
});

let serial = 0;
const create = (gw: AdminGateway, base_url: unknown, fields: Record<string, unknown> = {}) =>
  gw.admin('POST', '/channels', {
    name: `c${++serial}`,
    provider: 'openai-compatible',
    base_url,
    keys: ['up-k'],
    ...fields,
  });

const NOT_HTTP = [
  'file:///etc/passwd',
  'gopher://127.0.0.1:70/_x',
  'data:text/plain,hello',
  'unix:/var/run/docker.sock',
  'ftp://example.com/v1',
  'javascript:alert(1)',
  'http://user:pass@example.com/v1',
  'https://key@example.com/v1',
  'https://example.com/v1?api_key=x',
  'https://example.com/v1#frag',
  'https://exa\tmple.com/v1',
  '/v1',
  'example.com/v1',
  '',
  '   ',
];

describe('admin API: base_url must be a plain http(s) URL', () => {
  for (const value of NOT_HTTP) {
    it(`refuses ${JSON.stringify(value)} with a 400 naming base_url`, async () => {
      const res = await create(open, value);
      expect(res.status).toBe(400);
      const error = await errorOf(res);
      expect(error).toMatchObject({ type: 'invalid_request_error', param: 'base_url' });
      expect(error.message).toContain('base_url');
    });
  }

  it('refuses a bad base_url on update too, and keeps the old one', async () => {
    const created = await open.adminJson<{ id: string }>('POST', '/channels', {
      name: 'patched',
      provider: 'openai-compatible',
      base_url: 'https://api.example.com/v1',
      keys: ['up-k'],
    });
    const res = await open.admin('PATCH', `/channels/${created.id}`, { base_url: 'file:///etc/passwd' });
    expect(res.status).toBe(400);
    expect((await errorOf(res)).param).toBe('base_url');
    const view = await open.adminJson<{ base_url: string }>('GET', `/channels/${created.id}`);
    expect(view.base_url).toBe('https://api.example.com/v1');
  });

  it('normalises: trims, lower-cases scheme and host, drops the trailing slash', async () => {
    const res = await create(open, '  HTTPS://API.Example.COM:443/V1/  ');
    expect(res.status).toBe(201);
    expect(((await res.json()) as { base_url: string }).base_url).toBe('https://api.example.com/V1');
  });

  it('accepts loopback and private addresses by default (local vLLM, Ollama)', async () => {
    expect((await create(open, 'http://127.0.0.1:8000/v1')).status).toBe(201);
    expect((await create(open, 'http://192.168.1.20:11434/v1')).status).toBe(201);
  });
});

const PRIVATE = [
  'http://127.0.0.1:8000/v1',
  'http://127.1.2.3/v1',
  'http://0x7f.1/v1',
  'http://2130706433/v1',
  'http://0.0.0.0/v1',
  'http://10.0.0.5/v1',
  'http://172.16.0.1/v1',
  'http://172.31.255.255/v1',
  'http://192.168.1.1/v1',
  'http://169.254.169.254/latest/meta-data',
  'http://100.64.0.1/v1',
  'http://[::1]/v1',
  'http://[::]/v1',
  'http://[fd12:3456::1]/v1',
  'http://[fe80::1]/v1',
  'http://[::ffff:127.0.0.1]/v1',
  'http://[::ffff:169.254.169.254]/v1',
  'http://[::ffff:10.0.0.1]/v1',
  'http://localhost:11434/v1',
  'http://LOCALHOST./v1',
  'http://api.localhost/v1',
  'http://[64:ff9b::a9fe:a9fe]/v1',
  'http://[2002:7f00:1::]/v1',
  'http://224.0.0.1/v1',
];

describe('upstreams.deny_private: true', () => {
  for (const value of PRIVATE) {
    it(`refuses ${value} when saved`, async () => {
      const res = await create(denying, value);
      expect(res.status).toBe(400);
      const error = await errorOf(res);
      expect(error.param).toBe('base_url');
      expect(error.message).toContain('upstreams.deny_private');
    });
  }

  it("refuses a provider whose default base URL is loopback (ollama's)", async () => {
    const res = await denying.admin('POST', '/channels', { name: 'local-ollama', provider: 'ollama' });
    expect(res.status).toBe(400);
    expect((await errorOf(res)).param).toBe('base_url');
  });

  it('refuses a private address on update', async () => {
    const created = await denying.adminJson<{ id: string }>('POST', '/channels', {
      name: 'public-then-private',
      provider: 'openai-compatible',
      base_url: 'https://api.example.com/v1',
      keys: ['up-k'],
    });
    const res = await denying.admin('PATCH', `/channels/${created.id}`, { base_url: 'http://10.1.1.1/v1' });
    expect(res.status).toBe(400);
  });

  for (const value of ['https://api.openai.com/v1', 'http://172.32.0.1/v1', 'http://[2606:4700::1111]/v1']) {
    it(`accepts the public ${value}`, async () => {
      expect((await create(denying, value)).status).toBe(201);
    });
  }

  it('stops the process at start when a file channel points at a private address', async () => {
    const { startTestGateway } = await import('../support/start-gateway.js');
    await expect(
      startTestGateway({
        upstreams: { deny_private: true },
        channels: [
          { name: 'metadata', provider: 'openai-compatible', base_url: 'http://169.254.169.254/v1' },
        ],
      }),
    ).rejects.toThrow(/channels\.0\.base_url: .*upstreams\.deny_private/);
  });
});

describe('config file: base_url', () => {
  const settingsWith = (base_url: string) =>
    resolveSettings({
      env: {},
      file: {
        path: 'c.yaml',
        text: JSON.stringify({ channels: [{ name: 'a', provider: 'openai-compatible', base_url }] }),
      },
    });

  it('refuses a file: URL with a message naming the field', () => {
    expect(() => settingsWith('file:///etc/passwd')).toThrow(ConfigError);
    expect(() => settingsWith('file:///etc/passwd')).toThrow(/channels\.0\.base_url/);
  });

  it('normalises what it accepts', () => {
    expect(settingsWith(' HTTP://LOCALHOST:8000/v1/ ').channels[0]?.base_url).toBe(
      'http://localhost:8000/v1',
    );
  });
});

describe('CLI: channels add --base-url', () => {
  it('refuses a file: URL with the same message, and exits non-zero', async () => {
    const { spawn } = await import('node:child_process');
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'sb-base-url-'));
    try {
      const main = new URL('../../src/cli/main.ts', import.meta.url).pathname;
      const env: Record<string, string | undefined> = { ...process.env, LOG_LEVEL: 'silent' };
      for (const name of ['CONFIG', 'ADMIN_TOKEN', 'SWITCHBOARD_URL', 'SWITCHBOARD_SECRET_KEY'])
        delete env[name];
      env.DATABASE_URL = `sqlite:${join(dir, 'cli.db')}`;
      const args = [
        'channels',
        'add',
        'bad',
        '--provider',
        'openai-compatible',
        '--base-url',
        'file:///etc/passwd',
      ];
      const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), main, ...args], {
        cwd: dir,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let err = '';
      child.stderr.on('data', (c: Buffer) => {
        err += c.toString();
      });
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      expect(code).not.toBe(0);
      expect(err).toContain('base_url must be an http or https URL');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
