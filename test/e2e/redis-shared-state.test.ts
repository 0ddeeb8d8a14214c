import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createClientKey } from '../../src/auth/key-service.js';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';
import { freshRedisPrefix, redisUrl } from '../support/services.js';
import { channel, startTestGateway, type TestGateway } from '../support/start-gateway.js';

const server = await redisUrl('two gateways sharing health, cache and sign-in throttling through Redis');
const ADMIN_TOKEN = 'test-admin-token-redis-0123456789';
const BAD = 'sk-upstream-bad-000000000001';
const GOOD = 'sk-upstream-good-00000000002';

/**
 * Two gateway processes' worth of state in one test process, each with its own database and
 * nothing in common but REDIS_URL: what one learns about an upstream key, the answers it caches
 * and the sign-in attempts it counts hold for the other.
 */
describe.skipIf(!server)('two gateways on one Redis', () => {
  let fake: FakeUpstream;
  let a: TestGateway;
  let b: TestGateway;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    fake = await startFakeUpstream();
    const fresh = freshRedisPrefix(server ?? '');
    drop = fresh.drop;
    const config = {
      channels: [channel({ name: 'up', base_url: fake.baseUrl, keys: [BAD, GOOD], models: ['gpt-4o-mini'] })],
      routing: { max_attempts: 2 },
      // No `backend`: with REDIS_URL the cache is the shared one.
      cache: { enabled: true, ttl_seconds: 600 },
      admin: { sign_in_delay_ms: 0 },
    };
    const env = { REDIS_URL: server ?? '', REDIS_KEY_PREFIX: fresh.prefix, ADMIN_TOKEN };
    a = await startTestGateway(config, env);
    b = await startTestGateway(config, env);
  });
  afterEach(() => fake.reset());
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await fake?.close();
    await drop?.();
  });

  const chat = (gw: TestGateway, content: string, extra: Record<string, unknown> = {}, key = gw.key) =>
    fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content }], ...extra }),
    });
  const keysSent = () => fake.requests.map((r) => r.headers.authorization);

  it('an upstream key refused (401) through A is not tried by B', async () => {
    fake.onKey(BAD, { kind: 'status', status: 401, body: { error: { message: 'invalid api key' } } });
    // A rotates over both keys: within a few requests it sends one to the bad key and fails over.
    for (let i = 0; i < 6 && !keysSent().includes(`Bearer ${BAD}`); i++) {
      const res = await chat(a, `rotate ${i}`);
      expect(res.status).toBe(200);
      await res.text();
    }
    expect(keysSent()).toContain(`Bearer ${BAD}`);
    fake.reset();

    for (let i = 0; i < 6; i++) {
      const res = await chat(b, `after ${i}`);
      expect(res.status).toBe(200);
      await res.text();
    }
    expect(keysSent()).toHaveLength(6);
    expect(keysSent().every((k) => k === `Bearer ${GOOD}`)).toBe(true);
  });

  it('an answer cached through A is a hit on B', async () => {
    // Cache entries are a user's: the two gateways here share no database, so each gets the same
    // user (as instances on one database see the same keys and users).
    const teamKey = async (gw: TestGateway) => {
      const now = Date.now();
      const user = {
        id: 'team',
        name: 'team',
        email: null,
        notes: null,
        enabled: true,
        createdAt: now,
        updatedAt: now,
      };
      await gw.node.storage.users.create(user);
      return (await createClientKey(gw.node.storage.keys, { name: 'team key', userId: 'team' })).secret;
    };
    const [onA, onB] = [await teamKey(a), await teamKey(b)];
    const question = `cache across instances ${Date.now()}`;
    const first = await chat(a, question, { temperature: 0 }, onA);
    expect(first.headers.get('x-switchboard-cache')).toBe('miss');
    const firstBody = await first.text();
    // The cache write happens after the response: wait for it.
    await a.node.drainDeferred();

    const second = await chat(b, question, { temperature: 0 }, onB);
    expect(second.headers.get('x-switchboard-cache')).toBe('hit');
    expect(await second.text()).toBe(firstBody);
    expect(fake.requests).toHaveLength(1);
  });

  it('wrong admin tokens tried on A count on B: the caller is locked out of both', async () => {
    const signIn = (gw: TestGateway, secret: string) =>
      fetch(`${gw.url}/admin/api/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ secret }),
      });
    // Five attempts go ahead (the default); the fifth locks the caller network out.
    for (let i = 0; i < 5; i++) expect((await signIn(a, `wrong-guess-${i}`)).status).toBe(401);
    const locked = await signIn(b, ADMIN_TOKEN);
    expect(locked.status).toBe(429);
    expect(((await locked.json()) as { error: { code: string } }).error.code).toBe(
      'too_many_sign_in_attempts',
    );
  });
});
