import type { Context } from 'hono';
import { cacheKey } from '../cache/cache-key.js';
import { type CacheSettings, decideCache } from '../cache/cache-policy.js';
import type { LimitsConfig, LimitValuesConfig } from '../config/accounting-schema.js';
import { type LimitSubject, type LimitValues, mergeLimits, NO_LIMITS } from '../limits/limit-values.js';
import type { Limiter } from '../limits/limiter.js';
import type { JsonObject } from '../spec/json.js';
import type { Principal } from '../spec/principal.js';
import type { CacheStore } from '../storage/accounting-ports.js';
import { computeCost } from '../usage/cost.js';
import { estimatePromptTokens } from '../usage/estimate-usage.js';
import type { UsageAccounting } from '../usage/usage-recorder.js';
import type { GatewayEnv } from './context.js';

/** Limits, cache and costing for client requests; built once in createGateway's caller. */
export interface RequestAccounting extends UsageAccounting {
  readonly limiter: Limiter;
  readonly limits: LimitsConfig;
  readonly cache: {
    readonly store: CacheStore;
    readonly settings: CacheSettings;
    /** Answers larger than this are not kept (the store's byte bound). */
    readonly maxBytes: number;
  } | null;
  /** Ask OpenAI-format upstreams for stream usage the client did not ask for (and strip it). */
  readonly requestStreamUsage: boolean;
  readonly now: () => number;
}

/** The key's and the user's limits: config defaults, overridden by what is stored on the key. */
export function limitSubjects(principal: Principal, config: LimitsConfig): LimitSubject[] {
  const stored = principal.limits;
  const key = mergeLimits(fromConfig(config.keys), {
    ...(stored.rpm !== null ? { rpm: stored.rpm } : {}),
    ...(stored.rph !== null ? { rph: stored.rph } : {}),
    ...(stored.tpm !== null ? { tpm: stored.tpm } : {}),
    ...(stored.concurrent !== null ? { concurrent: stored.concurrent } : {}),
    ...(stored.budget !== null ? { budget: stored.budget, budgetPeriod: config.key_budget_period } : {}),
  });
  const own = config.per_user[principal.userId];
  const user = own ? mergeLimits(fromConfig(config.users), fromConfig(own)) : fromConfig(config.users);
  return [
    { kind: 'key', id: principal.keyId, limits: key },
    { kind: 'user', id: principal.userId, limits: user },
  ];
}

function fromConfig(values: LimitValuesConfig): LimitValues {
  return {
    rpm: values.rpm ?? NO_LIMITS.rpm,
    rph: values.rph ?? NO_LIMITS.rph,
    tpm: values.tpm ?? NO_LIMITS.tpm,
    concurrent: values.concurrent ?? NO_LIMITS.concurrent,
    budget: values.budget ?? NO_LIMITS.budget,
    budgetPeriod: values.budget_period ?? NO_LIMITS.budgetPeriod,
  };
}

/**
 * Reserves the request against every limit of its key and user before any upstream call, and
 * settles to the actual tokens and cost when its usage record is finished (whatever the exit).
 * Throws the 429 when a limit is reached.
 */
export async function admitRequest(
  c: Context<GatewayEnv>,
  acc: RequestAccounting,
  json: JsonObject | null,
  model: string | null,
): Promise<void> {
  const principal = c.get('principal');
  const usage = c.get('usage');
  const subjects = limitSubjects(principal, acc.limits).filter((s) => hasLimit(s.limits));
  if (subjects.length === 0) return;
  const metered = subjects.some((s) => s.limits.tpm !== null || s.limits.budget !== null);
  let tokens = 0;
  let cost = 0;
  if (metered) {
    const prompt = estimatePromptTokens(acc.estimator, json, model).tokens;
    const output = maxOutputTokens(json) ?? acc.limits.default_output_reserve;
    tokens = prompt + output;
    const price = model ? acc.prices.lookup(model) : null;
    if (price)
      cost = computeCost({ promptTokens: prompt, completionTokens: output, totalTokens: tokens }, price);
  }
  const reservation = await acc.limiter.reserve({ subjects, tokens, cost });
  Object.assign(usage.responseHeaders, reservation.headers);
  usage.onFinish((record) => {
    void reservation.settle({ tokens: record.usage?.totalTokens ?? 0, cost: record.cost });
  });
}

function hasLimit(limits: LimitValues): boolean {
  return Object.entries(limits).some(([name, value]) => name !== 'budgetPeriod' && value !== null);
}

function maxOutputTokens(json: JsonObject | null): number | null {
  const value = json?.max_completion_tokens ?? json?.max_tokens ?? json?.max_output_tokens;
  return typeof value === 'number' && value > 0 ? value : null;
}

/**
 * Answers from the response cache when the request allows it (a hit is finished as a free
 * record), and otherwise arranges for a complete answer to be stored. Returns the replayed
 * response on a hit, null on a miss or when the cache does not apply.
 */
export async function answerFromCache(
  c: Context<GatewayEnv>,
  acc: RequestAccounting,
  route: string,
  json: JsonObject,
): Promise<Response | null> {
  if (!acc.cache) return null;
  const principal = c.get('principal');
  const usage = c.get('usage');
  const decision = decideCache(acc.cache.settings, {
    json,
    cacheControl: c.req.header('cache-control') ?? null,
    optIn: c.req.header('x-switchboard-cache') ?? null,
    keyId: principal.keyId,
    keyName: principal.keyName,
  });
  if (!decision.read && !decision.write) return null;
  const { store, settings, maxBytes } = acc.cache;
  const key = await cacheKey(principal.userId, route, json);
  if (decision.read) {
    const hit = await store.get(key, acc.now());
    if (hit) {
      usage.record.cacheHit = true;
      const headers = new Headers({ 'content-type': hit.contentType, 'x-switchboard-cache': 'hit' });
      if (hit.stream) {
        headers.set('cache-control', 'no-cache');
        headers.set('x-accel-buffering', 'no');
      }
      // A fresh copy per reply: a body stream takes ownership of the bytes it is given.
      return new Response(hit.body.slice(), { status: hit.status, headers });
    }
  }
  usage.responseHeaders['x-switchboard-cache'] = 'miss';
  if (decision.write) {
    usage.captureResponse = {
      maxBytes,
      store: (captured) => {
        const createdAt = acc.now();
        store.set(key, { ...captured, createdAt, expiresAt: createdAt + settings.ttlMs }).catch(() => {
          // A cache that cannot store is only a missed saving; the answer already went out.
        });
      },
    };
  }
  return null;
}
