import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';
import {
  chat,
  createKey,
  holdsWithin,
  minuteOf,
  type Outcome,
  recordsOfKey,
  roomInMinute,
  startLoad,
} from '../support/cluster-load.js';
import {
  backlogOf,
  buildGatewayBundle,
  type GatewayBundle,
  type GatewayCluster,
  healthOf,
  type Instance,
  startCluster,
} from '../support/gateway-cluster.js';
import { redisServerBinary, startOwnRedis } from '../support/own-redis.js';
import { freshRedisPrefix, freshSchema, postgresUrl, redisUrl } from '../support/services.js';
import { startTcpProxy } from '../support/tcp-proxy.js';

/**
 * Three gateway processes on one Postgres schema and one Redis prefix, behind a round-robin
 * client: limits, router health, the response cache and admin changes hold across instances, and
 * losing an instance, Redis or Postgres for a while costs no answered request its usage record.
 */

const SUITE = 'the many-instances e2e tests (test/e2e/cluster.test.ts)';
const server = await postgresUrl(SUITE);
const redis = server ? await redisUrl(SUITE) : null;
const ownRedisAvailable = server && redis ? redisServerBinary(SUITE) !== null : false;
const ADMIN_TOKEN = 'cluster-admin-token-0123456789abcdef';
const SECRET_KEY = 'cluster-sealing-key-0123456789abcdef';
/** A dead instance's concurrency slots come back after this (limits.concurrency_lease_seconds). */
const LEASE_SECONDS = 5;

const answered = (outcomes: readonly Outcome[]) => outcomes.filter((o) => o.answered);
const failed = (outcomes: readonly Outcome[]) =>
  outcomes.filter((o) => !o.answered).map((o) => `${o.id}@${o.instance}: ${o.status} ${o.code ?? ''}`);
const duplicatesOf = (ids: readonly string[]) => ids.filter((id, i) => ids.indexOf(id) !== i);

describe.skipIf(!server || !redis)('three gateway instances on Postgres + Redis', { timeout: 60_000 }, () => {
  let bundle: GatewayBundle;
  let fake: FakeUpstream;
  const cleanups: (() => Promise<void>)[] = [];

  /**
   * Three instances on a fresh schema (reached through `proxied` when given) and a fresh Redis
   * prefix (on `redisUrl` when given). Called inside a test, the instances stop when it ends.
   */
  const cluster = async (
    config: Record<string, unknown>,
    options: { redisUrl?: string; proxied?: (url: string) => string; perTest?: boolean } = {},
  ): Promise<GatewayCluster> => {
    const schema = await freshSchema(server as string);
    const url = options.redisUrl ?? (redis as string);
    const prefix = freshRedisPrefix(url);
    // Dropped even when the cluster fails to start; cleanups run last-in first-out.
    cleanups.push(async () => {
      await schema.drop();
      await prefix.drop().catch(() => {});
    });
    const made = await startCluster({
      bundle,
      instances: 3,
      config,
      databaseUrl: options.proxied ? options.proxied(schema.url) : schema.url,
      redis: { url, prefix: prefix.prefix },
      adminToken: ADMIN_TOKEN,
      secretKey: SECRET_KEY,
    });
    cleanups.push(() => made.close());
    if (options.perTest) onTestFinished(() => made.close());
    return made;
  };
  const channel = (name: string, keys: string[], models: string[]) => ({
    name,
    provider: 'openai-compatible',
    base_url: fake.baseUrl,
    keys,
    models,
  });

  let main: GatewayCluster;
  let key: string;
  let a: Instance;
  let b: Instance;
  let c: Instance;

  beforeAll(async () => {
    bundle = await buildGatewayBundle('cluster');
    fake = await startFakeUpstream();
    fake.onKey('up-rejected', { kind: 'status', status: 401 });
    fake.onKey('up-hang', { kind: 'hang' });
    fake.onKey('up-drip', { kind: 'drip', intervalMs: 10 });
    main = await cluster({
      usage: { flush_interval_ms: 100 },
      cache: { enabled: true },
      // Completion tokens only: a request with max_tokens 4 reserves exactly what it costs (1.00).
      prices: { 'm-priced': { input: 0, output: 250_000 } },
      channels: [
        channel('fake', ['up-main'], ['m', 'm-priced', 'm-cache']),
        channel('rotating', ['up-rejected', 'up-good'], ['m-401']),
      ],
    });
    [a, b, c] = main.instances as [Instance, Instance, Instance];
    key = (await createKey(main, { name: 'main' })).key;
  }, 120_000);
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
    await fake?.close();
    bundle?.remove();
  }, 60_000);

  it('a key with rpm 30 gets exactly 30 answers out of 90 requests spread over the three', async () => {
    const limited = await createKey(main, { name: 'rpm-30', limits: { rpm: 30 } });
    await roomInMinute(15_000);
    const outcomes: Outcome[] = [];
    await Promise.all(
      Array.from({ length: 9 }, async () => {
        for (let n = 0; n < 10; n++) outcomes.push(await chat(main.next(), { key: limited.key, model: 'm' }));
      }),
    );
    const minutes = new Set(outcomes.map((o) => minuteOf(o.startedAt)));
    expect(minutes.size, 'the run stayed in one rpm window').toBe(1);
    expect(answered(outcomes)).toHaveLength(30);
    expect(outcomes.filter((o) => o.status === 429 && o.code === 'rate_limit_exceeded')).toHaveLength(60);
  });

  it('a 60-way parallel burst against a budget of 10 ends at or under it, by the usage records', async () => {
    const capped = await createKey(main, { name: 'budget-10', limits: { budget: 10 } });
    const outcomes = await Promise.all(
      Array.from({ length: 60 }, () =>
        chat(main.next(), { key: capped.key, model: 'm-priced', extra: { max_tokens: 4 } }),
      ),
    );
    const served = answered(outcomes).length;
    expect(served).toBeGreaterThan(0);
    expect(served).toBeLessThanOrEqual(10);
    expect(outcomes.filter((o) => !o.answered && o.code !== 'budget_exceeded')).toEqual([]);
    // Every request, served or refused, leaves one record; the spend is read from them.
    let records = await recordsOfKey(main, capped.id);
    await holdsWithin(15_000, async () => {
      records = await recordsOfKey(main, capped.id);
      return records.length >= 60;
    });
    expect(records).toHaveLength(60);
    const spent = records.reduce((sum, r) => sum + (r.cost ?? 0), 0);
    expect(spent).toBeGreaterThan(0);
    expect(spent).toBeLessThanOrEqual(10 + 1e-9);
  });

  it('a key revoked through A is refused by B and C within a second; a channel added through B is served by C within a second', async () => {
    const made = await createKey(main, { name: 'to-revoke' }, a);
    const models = (on: Instance) =>
      fetch(`${on.url}/v1/models`, { headers: { authorization: `Bearer ${made.key}` } });
    // B and C have looked the key up (and cached it).
    expect((await models(b)).status).toBe(200);
    expect((await models(c)).status).toBe(200);
    expect((await main.admin('DELETE', `/keys/${made.id}`, undefined, a)).status).toBe(200);
    const refusedBy = async (on: Instance) => (await models(on)).status === 401;
    const refused = await holdsWithin(1_500, async () => (await refusedBy(b)) && (await refusedBy(c)));
    expect.soft(refused, 'B and C refuse the revoked key within 1.5 s').toBe(true);
    const body = (await (await models(c)).json()) as { error?: { code: string } };
    expect.soft(body.error?.code).toBe('key_revoked');

    // C has routed requests (its channel snapshot is built) and does not know the new model yet.
    expect((await chat(c, { key, model: 'm' })).status).toBe(200);
    expect((await chat(c, { key, model: 'm-added' })).status).toBe(404);
    const added = await main.admin('POST', '/channels', channel('added-on-b', ['up-added'], ['m-added']), b);
    expect(added.status).toBe(201);
    const served = await holdsWithin(1_500, async () => (await chat(c, { key, model: 'm-added' })).answered);
    expect(served, 'C serves the channel added through B within 1.5 s').toBe(true);
    expect(fake.requests.some((r) => r.headers.authorization === 'Bearer up-added')).toBe(true);
  });

  it('an upstream key that answered 401 to A is not tried by B or C afterwards', async () => {
    const rejectedSeen = () => fake.requests.some((r) => r.headers.authorization === 'Bearer up-rejected');
    for (let n = 0; n < 10 && !rejectedSeen(); n++) {
      // Failover to the other key answers the client anyway.
      expect((await chat(a, { key, model: 'm-401' })).status).toBe(200);
    }
    expect(rejectedSeen(), 'A tried the rejected key').toBe(true);
    // B and C show the key flagged in their routing stats (read from the health they route by).
    const flaggedOn = async (on: Instance) => {
      const res = await main.admin('GET', '/stats/routing', undefined, on);
      const stats = (await res.json()) as {
        channels: { channel: string; keys: { index: number; health: { state: string }[] }[] }[];
      };
      const rejected = stats.channels
        .find((ch) => ch.channel === 'rotating')
        ?.keys.find((k) => k.index === 0);
      return rejected?.health.some((h) => h.state === 'disabled') ?? false;
    };
    const flagged = await holdsWithin(2_000, async () => (await flaggedOn(b)) && (await flaggedOn(c)));
    expect.soft(flagged, 'B and C show the key A found rejected as disabled').toBe(true);
    const mark = fake.requests.length;
    for (let n = 0; n < 12; n++) {
      expect((await chat(n % 2 === 0 ? b : c, { key, model: 'm-401' })).status).toBe(200);
    }
    const after = fake.requests.slice(mark).map((r) => r.headers.authorization);
    expect(after.filter((auth) => auth === 'Bearer up-rejected')).toEqual([]);
    expect(after).toHaveLength(12);
  });

  it('a model marked unavailable by a wrong base_url is served by B and C within a second of the fix through A', async () => {
    const wrong = await startFakeUpstream();
    onTestFinished(() => wrong.close());
    wrong.onKey('up-moved', {
      kind: 'status',
      status: 404,
      body: { error: { message: 'The model m-moved does not exist', code: 'model_not_found' } },
    });
    const made = await main.admin(
      'POST',
      '/channels',
      { ...channel('moving', ['up-moved'], ['m-moved']), base_url: wrong.baseUrl },
      a,
    );
    expect(made.status).toBe(201);
    expect((await chat(a, { key, model: 'm-moved' })).status).toBe(404);
    // The health is shared: B and C keep the channel out for the model too (for 10 minutes).
    const outOn = async (on: Instance) => !(await chat(on, { key, model: 'm-moved' })).answered;
    expect(await holdsWithin(2_000, async () => (await outOn(b)) && (await outOn(c)))).toBe(true);

    expect((await main.admin('PATCH', '/channels/moving', { base_url: fake.baseUrl }, a)).status).toBe(200);
    const servedOn = async (on: Instance) => (await chat(on, { key, model: 'm-moved' })).answered;
    const served = await holdsWithin(1_500, async () => (await servedOn(b)) && (await servedOn(c)));
    expect(served, 'B and C serve the channel once its base_url is fixed through A').toBe(true);
  });

  it('a response cached through A is a hit on B', async () => {
    const content = `cache me ${Date.now()}`;
    const ask = (on: Instance) => chat(on, { key, model: 'm-cache', content, extra: { temperature: 0 } });
    const first = await ask(a);
    expect(first.cacheHeader).toBe('miss');
    // The entry is written after the answer: A itself finds it once it is stored.
    expect(await holdsWithin(5_000, async () => (await ask(a)).cacheHeader === 'hit')).toBe(true);
    const upstreamCalls = () => fake.requests.filter((r) => r.body.includes(content)).length;
    const before = upstreamCalls();
    const onB = await ask(b);
    expect(onB.cacheHeader).toBe('hit');
    expect(onB.text).toBe(first.text);
    expect(upstreamCalls()).toBe(before);
  });

  it('kill -9 of one instance mid-load: the others serve on, every answered request has one record, its concurrency slots come back', async () => {
    const three = await cluster(
      {
        // Entries the victim had read and not shipped are taken over after claim_after_ms: 5 s
        // instead of the default 30 s, so the wait below has room to spare.
        usage: { flush_interval_ms: 1_000, buffer: { claim_after_ms: 5_000 } },
        limits: { concurrency_lease_seconds: LEASE_SECONDS },
        channels: [channel('drip', ['up-drip'], ['m']), channel('silent', ['up-hang'], ['m-hang'])],
      },
      { perTest: true },
    );
    const [first, second, victim] = three.instances as [Instance, Instance, Instance];
    const load = await createKey(three, { name: 'load' });
    const slots = await createKey(three, { name: 'two-slots', limits: { concurrent: 2 } });
    // The victim holds both of the key's slots with requests whose upstream never answers.
    const hanging = new AbortController();
    const hangsBefore = fake.requests.filter((r) => r.headers.authorization === 'Bearer up-hang').length;
    for (let n = 0; n < 2; n++)
      void chat(victim, { key: slots.key, model: 'm-hang', signal: hanging.signal });
    expect(
      await holdsWithin(
        5_000,
        async () =>
          fake.requests.filter((r) => r.headers.authorization === 'Bearer up-hang').length ===
          hangsBefore + 2,
      ),
    ).toBe(true);
    const third = await chat(first, { key: slots.key, model: 'm' });
    expect.soft(third.code, 'the slots are taken across instances').toBe('concurrency_limit_exceeded');

    const traffic = startLoad(three, 12, (n) => ({ key: load.key, model: 'm', stream: n % 2 === 0 }), 'kill');
    expect(await holdsWithin(15_000, async () => traffic.answered() >= 30)).toBe(true);
    await three.kill(victim);
    const killedAt = Date.now();
    hanging.abort();
    const answeredAtKill = traffic.answered();
    await holdsWithin(15_000, async () => traffic.answered() >= answeredAtKill + 60);
    const outcomes = await traffic.stop();

    // Requests sent after the kill went to the two live instances, and all were answered.
    expect(failed(outcomes.filter((o) => o.startedAt > killedAt))).toEqual([]);
    expect(answered(outcomes).length).toBeGreaterThanOrEqual(answeredAtKill + 60);

    const ids = answered(outcomes).map((o) => o.id);
    let records = await recordsOfKey(three, load.id);
    await holdsWithin(30_000, async () => {
      records = await recordsOfKey(three, load.id);
      const have = new Set(records.map((r) => r.request_id));
      return ids.every((id) => have.has(id));
    });
    const recorded = records.map((r) => r.request_id);
    const byId = new Map(records.map((r) => [r.request_id, r]));
    expect
      .soft({
        missing: ids.filter((id) => !byId.has(id)),
        duplicates: duplicatesOf(recorded),
        notServed: ids.filter((id) => byId.get(id) && byId.get(id)?.status !== 200),
      })
      .toEqual({ missing: [], duplicates: [], notServed: [] });

    // The dead instance never settles its two leases; they expire and both slots are usable.
    const bothServed = async () => {
      const pair = await Promise.all([
        chat(first, { key: slots.key, model: 'm' }),
        chat(second, { key: slots.key, model: 'm' }),
      ]);
      return pair.every((o) => o.answered);
    };
    expect(await holdsWithin(LEASE_SECONDS * 1000 + 10_000, bothServed)).toBe(true);
  }, 90_000);

  it.skipIf(!ownRedisAvailable)(
    'Redis stopped during load and brought back: requests keep being served, /health says degraded meanwhile, limits are shared again after',
    async () => {
      const own = await startOwnRedis();
      cleanups.push(() => own.close());
      const three = await cluster(
        { usage: { flush_interval_ms: 100 }, channels: [channel('fake', ['up-main'], ['m'])] },
        { redisUrl: own.url, perTest: true },
      );
      // A limited key, so every request goes through the counters.
      const load = await createKey(three, { name: 'load', limits: { rpm: 100_000, concurrent: 1_000 } });
      const traffic = startLoad(three, 6, () => ({ key: load.key, model: 'm' }), 'redis');
      expect(await holdsWithin(15_000, async () => traffic.answered() >= 20)).toBe(true);

      await own.stop();
      const degraded = async (on: Instance) => {
        const health = await healthOf(on);
        return health.status === 'degraded' && health.degraded === true;
      };
      const allDegraded = async () => (await Promise.all(three.instances.map(degraded))).every(Boolean);
      expect(await holdsWithin(10_000, allDegraded), 'every instance says degraded').toBe(true);
      const answeredInOutage = traffic.answered();
      expect(await holdsWithin(15_000, async () => traffic.answered() >= answeredInOutage + 30)).toBe(true);

      await own.start();
      const allOk = async () =>
        (await Promise.all(three.instances.map(healthOf))).every((h) => h.status === 'ok');
      expect(await holdsWithin(15_000, allOk), 'every instance is ok again').toBe(true);
      expect(failed(await traffic.stop())).toEqual([]);

      // Shared limits are back: 6 answers out of 18 across the three, not 6 per instance.
      const limited = await createKey(three, { name: 'rpm-6', limits: { rpm: 6 } });
      await roomInMinute(10_000);
      const outcomes: Outcome[] = [];
      for (let n = 0; n < 18; n++) outcomes.push(await chat(three.next(), { key: limited.key, model: 'm' }));
      expect(new Set(outcomes.map((o) => minuteOf(o.startedAt))).size).toBe(1);
      expect(answered(outcomes)).toHaveLength(6);
    },
    90_000,
  );

  it('Postgres unreachable during load and restored: no answered request loses its record, the /health backlog drains', async () => {
    const proxy = await startTcpProxy({
      host: '127.0.0.1',
      port: Number(new URL(server as string).port || 5432),
    });
    cleanups.push(() => proxy.close());
    const three = await cluster(
      { usage: { flush_interval_ms: 100 }, channels: [channel('fake', ['up-main'], ['m'])] },
      { proxied: (url) => proxy.via(url), perTest: true },
    );
    const load = await createKey(three, { name: 'load' });
    const traffic = startLoad(three, 6, () => ({ key: load.key, model: 'm' }), 'pg');
    expect(await holdsWithin(15_000, async () => traffic.answered() >= 20)).toBe(true);

    proxy.cut();
    const answeredAtCut = traffic.answered();
    let backlogSeen = 0;
    await holdsWithin(4_000, async () => {
      for (const on of three.instances)
        backlogSeen = Math.max(backlogSeen, backlogOf(await healthOf(on)) ?? 0);
      return traffic.answered() >= answeredAtCut + 30 && backlogSeen > 0;
    });
    const answeredInOutage = traffic.answered() - answeredAtCut;
    proxy.restore();

    // The load stops first: under load the stream always holds the records of requests still
    // running (and the ones just answered), so a backlog of 0 is what the drain ends at only
    // once no new records come in.
    const outcomes = await traffic.stop();
    const drained = async () => {
      const parts = await Promise.all(three.instances.map(healthOf));
      return parts.every((h) => h.storage === 'ok' && backlogOf(h) === 0);
    };
    const drainedInTime = await holdsWithin(15_000, drained);
    expect(three.crashed(), 'no instance died with its database').toEqual([]);
    expect.soft(answeredInOutage, 'requests answered while Postgres was away').toBeGreaterThan(0);
    expect.soft(backlogSeen, 'the backlog /health reported during the outage').toBeGreaterThan(0);
    expect.soft(drainedInTime, 'every instance reports storage ok and a backlog of 0').toBe(true);

    const ids = answered(outcomes).map((o) => o.id);
    let records = await recordsOfKey(three, load.id);
    await holdsWithin(15_000, async () => {
      records = await recordsOfKey(three, load.id);
      const have = new Set(records.map((r) => r.request_id));
      return ids.every((id) => have.has(id));
    });
    const have = new Set(records.map((r) => r.request_id));
    expect({
      missing: ids.filter((id) => !have.has(id)),
      duplicates: duplicatesOf(records.map((r) => r.request_id)),
    }).toEqual({ missing: [], duplicates: [] });
  }, 90_000);
});
