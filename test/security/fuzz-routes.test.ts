import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bodyText, type FuzzPools, requestArbitrary, toRequest } from './support/request-arbitraries.js';
import { readBody, violations } from './support/response-checks.js';
import {
  ADMIN_TOKEN,
  MODELS,
  type SecurityGateway,
  startSecurityGateway,
} from './support/security-gateway.js';

/**
 * The attack pass that stays in the suite: arbitrary methods, paths, headers, queries and bodies
 * on every route, through the real gateway in process. FUZZ_RUNS (default 10 000) and FUZZ_SEED
 * (default fixed, so a failure reproduces) are documented in docs/architecture.md.
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 10_000);
const SEED = Number(process.env.FUZZ_SEED ?? 20_261_203);

let gw: SecurityGateway;
let pools: FuzzPools;
const rejections: unknown[] = [];
const onRejection = (reason: unknown) => rejections.push(reason);

beforeAll(async () => {
  process.on('unhandledRejection', onRejection);
  gw = await startSecurityGateway();
  const session = await gw.signIn();
  const now = Date.now();
  await gw.node.storage.users.create({
    id: 'fuzz-user',
    name: 'fuzz-user',
    email: null,
    notes: null,
    enabled: true,
    createdAt: now,
    updatedAt: now,
  });
  const k = gw.keys;
  pools = {
    models: [MODELS.main, MODELS.anthropic, MODELS.other, 'no-such-model', 'fake-*'],
    clientKey: k.valid,
    adminToken: ADMIN_TOKEN,
    credentials: [
      k.valid,
      k.revoked,
      k.expired,
      k.disabledUser,
      k.otherModels,
      k.otherChannel,
      ADMIN_TOKEN,
      'sk-wrong',
    ],
    ids: ['nope', gw.victimKeyId, 'fuzz-user', 'x'.repeat(300)],
    // Not `default` (the valid key's user) nor the `main` channel: the fuzz may disable or delete
    // what it names, and requests that still get through go deeper.
    users: ['fuzz-user', 'disabled-user', 'nope'],
    keyIds: [gw.victimKeyId, 'nope'],
    channels: ['claude', 'other', 'nope', 'fzapi'],
    baseUrls: [
      gw.upstream.baseUrl,
      'http://127.0.0.1:1/v1',
      'http://[::1]:1/v1',
      'not a url',
      'ftp://127.0.0.1/x',
      '',
    ],
    cookies: [session.cookie, 'sb_admin_session=', 'sb_admin_session=%zz', `a=b; ${session.cookie}; c`],
    csrfTokens: [session.csrf, 'wrong'],
  };
}, 30_000);

function channelSummary(): string {
  return (
    JSON.stringify(gw.node.channels.map((c) => ({ ...c, keys: c.keys.length }))) +
    ` health: ${JSON.stringify(gw.node.gateway.health.snapshot())}`
  );
}

afterAll(async () => {
  process.off('unhandledRejection', onRejection);
  await gw?.close();
});

describe('fuzz: every route, arbitrary input', () => {
  it(
    `never answers a 5xx of its own, a non-envelope error or a leak (${RUNS} runs, seed ${SEED})`,
    async () => {
      console.info(`fuzz-routes: ${RUNS} runs, FUZZ_SEED=${SEED}`);
      // How deep the inputs went: a run where nothing but 401s came back would prove little.
      const statuses = new Map<number, number>();
      await fc.assert(
        fc.asyncProperty(requestArbitrary(pools), async (r) => {
          const logsBefore = gw.errorLogs.length;
          let timer: ReturnType<typeof setTimeout> | undefined;
          const stalled = new Promise<never>((_, reject) => {
            // Says where the request went: a timeout alone names no cause.
            timer = setTimeout(
              () => reject(new Error(`no answer in 8 s; channels: ${channelSummary()}`)),
              8_000,
            );
          });
          const res = await Promise.race([gw.fetch(toRequest(r)), stalled]).finally(() =>
            clearTimeout(timer),
          );
          const text = await readBody(res);
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          const path = new URL(toRequest(r).url).pathname;
          const sent = `${r.path}${r.query}${JSON.stringify(r.headers)}${bodyText(r.body)}`;
          const found = violations(
            r.method,
            path,
            { status: res.status, contentType: res.headers.get('content-type') ?? '', text },
            sent,
            r.headers.some(([name]) => name.toLowerCase() === 'anthropic-version'),
          );
          const hidden = gw.errorLogs.slice(logsBefore).filter((l) => l.message === 'unhandled error');
          if (hidden.length > 0)
            found.push(`unhandled error logged: ${JSON.stringify(hidden[0]).slice(0, 400)}`);
          if (rejections.length > 0) found.push(`unhandled rejection: ${String(rejections[0])}`);
          if (found.length === 0) return;
          throw new Error(
            `${r.method} ${path}${r.query} → ${res.status}\n${found.join('\n')}\nbody sent: ${bodyText(r.body).slice(0, 500)}`,
          );
        }),
        { numRuns: RUNS, seed: SEED, timeout: 10_000 },
      );
      console.info(
        'fuzz-routes: answers by status',
        Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])),
      );
      expect(rejections).toEqual([]);
    },
    60_000 + RUNS * 20,
  );
});
