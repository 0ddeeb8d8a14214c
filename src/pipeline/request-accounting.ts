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
  // A key budget counts per `key_budget_period`, unless `limits.keys` names a period of its own.
  const keyDefaults = mergeLimits(
    { ...NO_LIMITS, budgetPeriod: config.key_budget_period },
    overridesOf(config.keys),
  );
  const key = mergeLimits(keyDefaults, {
    ...(stored.rpm !== null ? { rpm: stored.rpm } : {}),
    ...(stored.rph !== null ? { rph: stored.rph } : {}),
    ...(stored.tpm !== null ? { tpm: stored.tpm } : {}),
    ...(stored.concurrent !== null ? { concurrent: stored.concurrent } : {}),
    ...(stored.budget !== null ? { budget: stored.budget, budgetPeriod: config.key_budget_period } : {}),
  });
  // Under the user's id, or its name (ids are generated: the name is what an operator knows).
  const own = config.per_user[principal.userId] ?? config.per_user[principal.userName];
  // A user's own entry overrides only the fields it sets: one that names no budget period keeps
  // the period of `limits.users`.
  const users = mergeLimits(NO_LIMITS, overridesOf(config.users));
  const user = own ? mergeLimits(users, overridesOf(own)) : users;
  return [
    { kind: 'key', id: principal.keyId, limits: key },
    { kind: 'user', id: principal.userId, limits: user },
  ];
}

/** The fields a config entry sets (an absent one is left to the entry below it). */
function overridesOf(values: LimitValuesConfig): Partial<LimitValues> {
  return {
    ...(values.rpm !== undefined ? { rpm: values.rpm } : {}),
    ...(values.rph !== undefined ? { rph: values.rph } : {}),
    ...(values.tpm !== undefined ? { tpm: values.tpm } : {}),
    ...(values.concurrent !== undefined ? { concurrent: values.concurrent } : {}),
    ...(values.budget !== undefined ? { budget: values.budget } : {}),
    ...(values.budget_period !== undefined ? { budgetPeriod: values.budget_period } : {}),
  };
}
