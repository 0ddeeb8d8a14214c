import type { CacheSettings } from '../cache/cache-policy.js';
import type { LimitsConfig, LimitValuesConfig } from '../config/accounting-schema.js';
import { type LimitSubject, type LimitValues, mergeLimits, NO_LIMITS } from '../limits/limit-values.js';
import type { Limiter } from '../limits/limiter.js';
import type { Principal } from '../spec/principal.js';
import type { CacheStore } from '../storage/accounting-ports.js';
import type { UsageAccounting } from './usage-tap.js';

/** Limits, cache and costing for client requests; built once in createGateway's caller. */
export interface RequestAccounting extends UsageAccounting {
  readonly limiter: Limiter;
  readonly limits: LimitsConfig;
  readonly cache: {
    readonly store: CacheStore;
    readonly settings: CacheSettings;
    /** Answers larger than this are not kept (the store's byte bound). */
    readonly maxBytes: number;
    /**
     * SHA-256 hex for cache keys (default: crypto.subtle, an async hop through the thread pool
     * that costs tens of microseconds per cacheable request on Node); a runtime may supply a sync one.
     */
    readonly hashKey?: (text: string) => string | Promise<string>;
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
