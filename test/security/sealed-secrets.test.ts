import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createClientKey } from '../../src/auth/key-service.js';
import { createSecretBox } from '../../src/auth/secret-box.js';
import { channelSchema } from '../../src/config/schema.js';
import { resolveSettings } from '../../src/config/settings.js';
import { bootstrap, type NodeGateway } from '../../src/runtime/node/bootstrap.js';
import { type RunningServer, startServer } from '../../src/runtime/node/server.js';
import { type Logger, silentLogger } from '../../src/spec/logger.js';
import { openSqliteStorage } from '../../src/storage/sqlite/sqlite-storage.js';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';
import { runCli } from '../support/cli-process.js';
import { adminCall } from '../support/http.js';

const UPSTREAM_KEY = 'sk-proj-SealedCanary0123456789abcdefXYZ';
const ADMIN_TOKEN = 'sealed-test-admin-token-0123456789';

let fake: FakeUpstream;
let dir: string;
let db: string;

beforeAll(async () => {
  fake = await startFakeUpstream();
});
afterAll(async () => {
  await fake?.close();
});
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sb-sealed-'));
  db = join(dir, 'gateway.db');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const channelConfig = (key = UPSTREAM_KEY) => ({
  channels: [
    {
      name: 'main',
      provider: 'openai-compatible',
      base_url: fake.baseUrl,
      keys: [key],
      models: ['gpt-fake'],
    },
  ],
});

function settingsFor(env: Record<string, string> = {}, config: Record<string, unknown> = {}) {
  return resolveSettings({
    env: { DATABASE_URL: `sqlite:${db}`, ADMIN_TOKEN, ...env },
    file: { path: 'test-config.yaml', text: JSON.stringify(config) },
  });
}

function capturingLogger(lines: string[]): Logger {
  const push = (obj: object, msg?: string) => lines.push(`${msg ?? ''} ${JSON.stringify(obj)}`);
  return { ...silentLogger, info: push, warn: push, error: push };
}

/** The database file and its -wal and -shm companions, as bytes. */
function databaseBytes(): Buffer {
  return Buffer.concat(
    [db, `${db}-wal`, `${db}-shm`].filter((f) => existsSync(f)).map((f) => readFileSync(f)),
  );
}

async function storedKeys(node: NodeGateway): Promise<string[]> {
  return (await node.storage.channels.list()).flatMap((c) => c.config.keys);
}

async function serve(node: NodeGateway): Promise<{ url: string; server: RunningServer }> {
  const server = await startServer(node, { port: 0, host: '127.0.0.1', logger: silentLogger });
  return { url: `http://127.0.0.1:${server.port}`, server };
}

describe('upstream keys at rest without SWITCHBOARD_SECRET_KEY', () => {
  it('are sealed under a generated key file (mode 0600) that the log names but never shows', async () => {
    const lines: string[] = [];
    const node = await bootstrap({
      settings: settingsFor({}, channelConfig()),
      logger: capturingLogger(lines),
    });
    const stored = await storedKeys(node);
    await node.close();
    const keyFile = join(dir, 'gateway.secret-key');
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const key = readFileSync(keyFile, 'utf8').trim();
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatch(/^enc:v1:/);
    expect(await (await createSecretBox(key)).open(stored[0] ?? '')).toBe(UPSTREAM_KEY);
    expect(databaseBytes().includes(UPSTREAM_KEY)).toBe(false);
    const said = lines.filter((l) => l.includes(keyFile));
    expect(said).toHaveLength(1);
    expect(lines.join('\n')).not.toContain(key);
  });

  it("seals a channel's secret headers like its keys, and still sends them upstream", async () => {
    const HEADER_SECRET = 'pk-HeaderCanary0123456789abcdef';
    const config = channelConfig();
    const withHeaders = {
      channels: config.channels.map((c) => ({
        ...c,
        headers: { 'x-portkey-api-key': HEADER_SECRET, 'x-team': 'research' },
      })),
    };
    const node = await bootstrap({ settings: settingsFor({}, withHeaders), logger: silentLogger });
    const [stored] = await node.storage.channels.list();
    expect(stored?.config.headers['x-portkey-api-key']).toMatch(/^enc:v1:/);
    expect(stored?.config.headers['x-team']).toBe('research');
    const { url, server } = await serve(node);
    try {
      const { secret } = await createClientKey(node.storage.keys, { name: 'headers' });
      fake.reset();
      const res = await fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-fake', messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(res.status).toBe(200);
      expect(fake.requests.at(-1)?.headers['x-portkey-api-key']).toBe(HEADER_SECRET);
    } finally {
      await server.shutdown(0);
    }
    expect(databaseBytes().includes(HEADER_SECRET)).toBe(false);
  });

  it('keeps using the key file on the next start, and a wrong key stops start-up with one clear message', async () => {
    const first = await bootstrap({ settings: settingsFor({}, channelConfig()), logger: silentLogger });
    await first.close();
    const again = await bootstrap({ settings: settingsFor({}, channelConfig()), logger: silentLogger });
    expect(again.channels[0]?.keys).toEqual([UPSTREAM_KEY]);
    await again.close();
    const wrong = bootstrap({
      settings: settingsFor({ SWITCHBOARD_SECRET_KEY: 'not-the-right-key-0123456789' }, channelConfig()),
      logger: silentLogger,
    });
    await expect(wrong).rejects.toThrow(
      /SWITCHBOARD_SECRET_KEY is not the key this database's secrets were sealed with/,
    );
    // Nothing was garbled: the right key still opens everything.
    const after = await bootstrap({ settings: settingsFor({}, channelConfig()), logger: silentLogger });
    expect(after.channels[0]?.keys).toEqual([UPSTREAM_KEY]);
    await after.close();
  });

  it('lets a new key take over a database that holds nothing sealed yet', async () => {
    const first = await bootstrap({ settings: settingsFor(), logger: silentLogger });
    await first.close();
    const node = await bootstrap({
      settings: settingsFor({ SWITCHBOARD_SECRET_KEY: 'chosen-later-key-0123456789' }, channelConfig()),
      logger: silentLogger,
    });
    expect(node.channels[0]?.keys).toEqual([UPSTREAM_KEY]);
    await node.close();
  });

  it('seals clear-text keys and secret headers left by an older version, and the clear text leaves the database files', async () => {
    const HEADER_SECRET = 'pk-LegacyHeaderCanary0123456789';
    const old = await openSqliteStorage(db);
    const at = Date.now();
    await old.channels.put({
      id: 'legacy',
      config: channelSchema.parse({
        ...channelConfig().channels[0],
        name: 'legacy',
        headers: { 'x-portkey-api-key': HEADER_SECRET },
      }),
      enabled: true,
      source: 'api',
      createdAt: at,
      updatedAt: at,
    });
    await old.close();
    expect(databaseBytes().includes(UPSTREAM_KEY)).toBe(true);
    expect(databaseBytes().includes(HEADER_SECRET)).toBe(true);
    const node = await bootstrap({ settings: settingsFor(), logger: silentLogger });
    expect((await storedKeys(node))[0]).toMatch(/^enc:v1:/);
    const legacy = node.channels.find((c) => c.name === 'legacy');
    expect(legacy?.keys).toEqual([UPSTREAM_KEY]);
    expect(legacy?.headers['x-portkey-api-key']).toBe(HEADER_SECRET);
    await node.close();
    expect(databaseBytes().includes(UPSTREAM_KEY)).toBe(false);
    expect(databaseBytes().includes(HEADER_SECRET)).toBe(false);
  });

  it('seals, sends and masks headers an older version stored in clear as ordinary (x-password, x-credential, …)', async () => {
    const headers = {
      'x-password': 'hunter2-LegacyPasswordCanary',
      'x-api-pass': 'pass-LegacyApiPassCanary0123',
      'x-credential': 'cred-LegacyCredentialCanary0',
      'x-signature': 'sig-LegacySignatureCanary012',
      'x-title': 'Research app',
    };
    const old = await openSqliteStorage(db);
    const at = Date.now();
    await old.channels.put({
      id: 'legacy',
      config: channelSchema.parse({ ...channelConfig().channels[0], name: 'legacy', headers }),
      enabled: true,
      source: 'api',
      createdAt: at,
      updatedAt: at,
    });
    await old.close();
    const node = await bootstrap({ settings: settingsFor(), logger: silentLogger });
    const { url, server } = await serve(node);
    try {
      const [stored] = await node.storage.channels.list();
      for (const name of ['x-password', 'x-api-pass', 'x-credential', 'x-signature']) {
        expect(stored?.config.headers[name], name).toMatch(/^enc:v1:/);
      }
      expect(stored?.config.headers['x-title']).toBe('Research app');
      const { secret } = await createClientKey(node.storage.keys, { name: 'legacy-headers' });
      fake.reset();
      const res = await fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-fake', messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(res.status).toBe(200);
      const sent = fake.requests.at(-1)?.headers ?? {};
      for (const [name, value] of Object.entries(headers)) expect(sent[name], name).toBe(value);
      const view = (await (await adminCall(url, ADMIN_TOKEN, 'GET', '/channels/legacy')).json()) as {
        headers: Record<string, string>;
      };
      expect(view.headers).toEqual({
        'x-password': 'hun…nary',
        'x-api-pass': 'pas…0123',
        'x-credential': 'cre…ary0',
        'x-signature': 'sig…y012',
        'x-title': 'Research app',
      });
    } finally {
      await server.shutdown(0);
    }
    for (const value of Object.values(headers).slice(0, 4)) {
      expect(databaseBytes().includes(value), value).toBe(false);
    }
  });

  it("leaves no trace of a deleted channel's sealed key in the database, WAL or shared-memory files", async () => {
    const node = await bootstrap({ settings: settingsFor(), logger: silentLogger });
    const { url, server } = await serve(node);
    const admin = (method: string, path: string, body?: unknown) =>
      adminCall(url, ADMIN_TOKEN, method, path, body);
    const made = await admin('POST', '/channels', { ...channelConfig().channels[0], name: 'doomed' });
    expect(made.status).toBe(201);
    const sealed = (await storedKeys(node))[0] ?? '';
    expect(sealed).toMatch(/^enc:v1:/);
    expect(databaseBytes().includes(sealed)).toBe(true);
    expect((await admin('DELETE', '/channels/doomed')).status).toBeLessThan(300);
    expect(databaseBytes().includes(sealed)).toBe(false);
    await server.shutdown(1_000);
  });
});

describe('switchboard secrets rotate', () => {
  it('re-seals every secret under a new key: the old key opens nothing, the gateway works on', async () => {
    const first = await bootstrap({ settings: settingsFor({}, channelConfig()), logger: silentLogger });
    await first.close();
    const keyFile = join(dir, 'gateway.secret-key');
    const oldKey = readFileSync(keyFile, 'utf8').trim();
    const storage = await openSqliteStorage(db);
    const before = (await storage.channels.list())[0]?.config.keys[0] ?? '';
    await storage.close();

    const res = await runCli(['secrets', 'rotate'], dir, {
      DATABASE_URL: `sqlite:${db}`,
      LOG_LEVEL: 'silent',
    });
    expect(res.err).toBe('');
    expect(res.code).toBe(0);
    expect(res.out).toContain(`Re-sealed 1 secret(s) under a new key, now in ${keyFile}`);
    const newKey = readFileSync(keyFile, 'utf8').trim();
    expect(newKey).not.toBe(oldKey);
    expect(`${res.out}${res.err}`).not.toContain(newKey);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(existsSync(`${keyFile}.new`)).toBe(false);

    const reopened = await openSqliteStorage(db);
    const after = (await reopened.channels.list())[0]?.config.keys[0] ?? '';
    // The rotation is in the audit log, as the CLI's, with no key in it.
    const [audited] = (await reopened.audit.list({ limit: 5, objectType: 'secrets' })).entries;
    await reopened.close();
    expect(audited).toMatchObject({
      actor: { type: 'cli' },
      action: 'rotate',
      changes: { resealed: { after: 1 } },
    });
    expect(JSON.stringify(audited)).not.toContain(newKey);
    expect(after).not.toBe(before);
    await expect((await createSecretBox(oldKey)).open(after)).rejects.toThrow();
    expect(await (await createSecretBox(newKey)).open(after)).toBe(UPSTREAM_KEY);
    expect(databaseBytes().includes(before)).toBe(false);

    // The gateway starts on the new key and sends the right upstream key.
    const node = await bootstrap({ settings: settingsFor({}, channelConfig()), logger: silentLogger });
    const { url, server } = await serve(node);
    const { secret } = await createClientKey(node.storage.keys, { name: 'after-rotate' });
    fake.reset();
    const chat = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-fake', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(chat.status).toBe(200);
    expect(fake.requests[0]?.headers.authorization).toBe(`Bearer ${UPSTREAM_KEY}`);
    await server.shutdown(1_000);
  });

  it('with the key in SWITCHBOARD_SECRET_KEY, takes the new one from SWITCHBOARD_NEW_SECRET_KEY and never echoes it', async () => {
    const oldKey = 'the-old-operator-key-0123456789';
    const newKey = 'the-new-operator-key-9876543210';
    const first = await bootstrap({
      settings: settingsFor({ SWITCHBOARD_SECRET_KEY: oldKey }, channelConfig()),
      logger: silentLogger,
    });
    await first.close();
    const res = await runCli(['secrets', 'rotate'], dir, {
      DATABASE_URL: `sqlite:${db}`,
      SWITCHBOARD_SECRET_KEY: oldKey,
      SWITCHBOARD_NEW_SECRET_KEY: newKey,
      LOG_LEVEL: 'silent',
    });
    expect(res.code).toBe(0);
    expect(res.out).toContain('SWITCHBOARD_SECRET_KEY must hold the new key');
    expect(`${res.out}${res.err}`).not.toContain(newKey);
    expect(existsSync(join(dir, 'gateway.secret-key'))).toBe(false);
    await expect(
      bootstrap({
        settings: settingsFor({ SWITCHBOARD_SECRET_KEY: oldKey }, channelConfig()),
        logger: silentLogger,
      }),
    ).rejects.toThrow(/is not the key/);
    const node = await bootstrap({
      settings: settingsFor({ SWITCHBOARD_SECRET_KEY: newKey }, channelConfig()),
      logger: silentLogger,
    });
    expect(node.channels[0]?.keys).toEqual([UPSTREAM_KEY]);
    await node.close();
  });
});
