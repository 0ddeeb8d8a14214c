import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, resolveSettings } from '../../src/config/settings.js';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';
import { channel, startTestGateway, type TestGateway } from '../support/start-gateway.js';

/**
 * The client address that key IP allowlists, the panel's sign-in lock-out and the audit log
 * use. Without `server.trusted_proxies` it is the TCP peer and `X-Forwarded-For` is ignored;
 * with it, a request from a listed proxy is counted at the address that proxy forwarded for,
 * read from the right so that what a client writes into the header itself counts for nothing.
 */
const ADMIN_TOKEN = 'trusted-proxies-admin-token-0123456789';
const CLIENT = '203.0.113.7';
const STRANGER = '198.51.100.1';

let fake: FakeUpstream;

beforeAll(async () => {
  fake = await startFakeUpstream({ record: false });
});
afterAll(async () => {
  await fake.close();
});

async function start(server: Record<string, unknown> = {}): Promise<TestGateway> {
  return startTestGateway(
    {
      server,
      admin: { sign_in_delay_ms: 0 },
      channels: [channel({ name: 'main', base_url: fake.baseUrl, keys: ['up'], models: ['gpt-fake'] })],
    },
    { ADMIN_TOKEN },
  );
}

async function keyFor(gw: TestGateway, ipAllowlist: string[]): Promise<string> {
  const res = await fetch(`${gw.url}/admin/api/keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: `ip-${ipAllowlist.join('-')}`, ip_allowlist: ipAllowlist }),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { key: string }).key;
}

async function chat(
  gw: TestGateway,
  key: string,
  forwardedFor?: string,
): Promise<{ status: number; code?: string }> {
  const res = await fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${key}`,
      'content-type': 'application/json',
      ...(forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor }),
    },
    body: JSON.stringify({ model: 'gpt-fake', messages: [{ role: 'user', content: 'hi' }] }),
  });
  const body = (await res.json()) as { error?: { code?: string } };
  return { status: res.status, ...(body.error?.code ? { code: body.error.code } : {}) };
}

function signIn(gw: TestGateway, forwardedFor: string, secret: string): Promise<Response> {
  return fetch(`${gw.url}/admin/api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': forwardedFor },
    body: JSON.stringify({ secret }),
  });
}

describe('without server.trusted_proxies', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await start();
  });
  afterAll(async () => {
    await gw.close();
  });

  it('X-Forwarded-For is ignored: a client cannot claim an allowlisted address', async () => {
    const key = await keyFor(gw, [CLIENT]);
    expect(await chat(gw, key, CLIENT)).toEqual({ status: 403, code: 'ip_not_allowed' });
  });
});

describe('with server.trusted_proxies naming the proxy (here: loopback)', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await start({ trusted_proxies: ['127.0.0.0/8', '::1'] });
  });
  afterAll(async () => {
    await gw.close();
  });

  it("a key's allowlist is checked against the address the proxy forwarded for", async () => {
    const key = await keyFor(gw, [CLIENT]);
    expect((await chat(gw, key, CLIENT)).status).toBe(200);
    expect(await chat(gw, key, STRANGER)).toEqual({ status: 403, code: 'ip_not_allowed' });
  });

  it('what the client wrote into X-Forwarded-For itself does not count (read from the right)', async () => {
    const key = await keyFor(gw, [CLIENT]);
    // The client sent "X-Forwarded-For: 203.0.113.7"; the proxy appended the address it saw.
    expect(await chat(gw, key, `${CLIENT}, ${STRANGER}`)).toEqual({ status: 403, code: 'ip_not_allowed' });
    // Several trusted proxies in a row: the first address from the right that is not one of them.
    expect((await chat(gw, key, `${STRANGER}, ${CLIENT}, 127.0.0.1`)).status).toBe(200);
  });

  it("the proxy's own address no longer lets every client through", async () => {
    const key = await keyFor(gw, ['127.0.0.1']);
    expect(await chat(gw, key, STRANGER)).toEqual({ status: 403, code: 'ip_not_allowed' });
    // A request straight from the proxy host, forwarding for nobody, is the proxy's.
    expect((await chat(gw, key)).status).toBe(200);
  });

  it('an address the gateway cannot read is no address: an allowlisted key is refused', async () => {
    const key = await keyFor(gw, [CLIENT]);
    expect(await chat(gw, key, 'not-an-address')).toEqual({ status: 403, code: 'ip_not_allowed' });
    expect(await chat(gw, key, `${CLIENT}, garbage`)).toEqual({ status: 403, code: 'ip_not_allowed' });
  });

  it('sign-in lock-outs count each forwarded client apart, not every browser as the proxy', async () => {
    for (let i = 0; i < 5; i++)
      expect((await signIn(gw, STRANGER, 'wrong-token-guess-000')).status).toBe(401);
    expect((await signIn(gw, STRANGER, 'wrong-token-guess-000')).status).toBe(429);
    // Another client behind the same proxy can still sign in.
    const ok = await signIn(gw, CLIENT, ADMIN_TOKEN);
    expect(ok.status).toBe(200);
  });
});

describe('server.trusted_proxies / TRUSTED_PROXIES validation', () => {
  const settings =
    (server: unknown, env: Record<string, string> = {}) =>
    () =>
      resolveSettings({ env, file: { path: 'c.yaml', text: JSON.stringify({ server }) } });

  it('takes CIDRs and addresses from the file or the environment', () => {
    expect(settings({ trusted_proxies: ['10.0.0.0/8', '::1'] })().trustedProxies).toEqual([
      '10.0.0.0/8',
      '::1',
    ]);
    expect(settings({}, { TRUSTED_PROXIES: '172.16.0.0/12, 127.0.0.1' })().trustedProxies).toEqual([
      '172.16.0.0/12',
      '127.0.0.1',
    ]);
    expect(settings({})().trustedProxies).toEqual([]);
  });

  it('refuses what is not a CIDR, naming the field', () => {
    expect(settings({ trusted_proxies: ['nginx'] })).toThrow(/server\.trusted_proxies/);
    expect(settings({}, { TRUSTED_PROXIES: '10.0.0.0/33' })).toThrow(ConfigError);
    expect(settings({}, { TRUSTED_PROXIES: '10.0.0.0/33' })).toThrow(/TRUSTED_PROXIES/);
  });
});

describe('POST /chat (replayed inside the gateway) behind a trusted proxy', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await start({ trusted_proxies: ['127.0.0.0/8', '::1'] });
  });
  afterAll(async () => {
    await gw.close();
  });

  const simpleChat = (token: string, forwardedFor: string) =>
    fetch(`${gw.url}/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': forwardedFor },
      body: JSON.stringify({ token, prompt: 'hi', model: 'gpt-fake' }),
    });

  it('checks the allowlist against the same forwarded client as /v1', async () => {
    const proxyOnly = await keyFor(gw, ['127.0.0.1']);
    expect((await simpleChat(proxyOnly, STRANGER)).status).toBe(403);
    const client = await keyFor(gw, [CLIENT]);
    expect((await simpleChat(client, CLIENT)).status).toBe(200);
  });
});
