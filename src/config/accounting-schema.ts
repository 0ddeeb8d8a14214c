import { z } from 'zod';

/** Prices per 1M tokens for one model (see src/usage/prices.ts). */
export const modelPriceSchema = z
  .object({
    input: z.number().nonnegative(),
    output: z.number().nonnegative(),
    cached_input: z.number().nonnegative().optional(),
    cache_write: z.number().nonnegative().optional(),
    cache_write_1h: z.number().nonnegative().optional(),
    reasoning: z.number().nonnegative().optional(),
    /** One for the whole deployment (src/config/price-currency.ts); `cny` is `CNY`. */
    currency: z.string().trim().min(1).toUpperCase().default('USD'),
  })
  .strict();

export const priceMapSchema = z.record(z.string().min(1), modelPriceSchema);

/**
 * Budget counters count whole millionths of the currency (src/limits/limiter.ts): a positive
 * budget under one would count as 0 and refuse every request as spent.
 */
export const budgetSchema = z
  .number()
  .min(0)
  .refine(
    (budget) => budget === 0 || budget >= 0.000001,
    'a budget counts millionths of the currency: 0 (nothing may be spent) or at least 0.000001',
  );

const limitValuesSchema = z
  .object({
    rpm: z.number().int().positive().optional(),
    rph: z.number().int().positive().optional(),
    tpm: z.number().int().positive().optional(),
    concurrent: z.number().int().positive().optional(),
    budget: budgetSchema.optional(),
    budget_period: z.enum(['total', 'day', 'week', 'month']).optional(),
  })
  .strict();

export type LimitValuesConfig = z.infer<typeof limitValuesSchema>;

export const usageConfigSchema = z
  .object({
    /** Longest a usage record waits in memory; a kill -9 loses at most this much. */
    flush_interval_ms: z.number().int().positive().max(60_000).default(1_000),
    max_batch: z.number().int().positive().max(10_000).default(500),
    /** Raw records older than this are deleted; hourly rollups are kept. 0 keeps them forever. */
    retention_days: z.number().int().nonnegative().default(30),
    /** Ask OpenAI-format upstreams for the usage chunk on streams the client did not ask it for. */
    request_stream_usage: z.boolean().default(true),
    /** Postgres only: where records wait until they are in the database (docs/usage-and-limits.md). */
    buffer: z
      .object({
        /** Records waiting at most; at the bound new model requests get 503 usage_backlog_full. */
        max_records: z.number().int().positive().default(200_000),
        /** Without REDIS_URL: the local journal file, one per process. */
        file: z.string().min(1).default('usage-journal.jsonl'),
        /** With REDIS_URL: a process silent this long is dead; its unshipped records are taken over. */
        claim_after_ms: z.number().int().min(1_000).max(600_000).default(30_000),
      })
      .strict()
      .default({ max_records: 200_000, file: 'usage-journal.jsonl', claim_after_ms: 30_000 }),
  })
  .strict();

export const limitsConfigSchema = z
  .object({
    /** Applied to every key; a key's own stored limits win field by field. */
    keys: limitValuesSchema.default({}),
    /** Applied to every user. */
    users: limitValuesSchema.default({}),
    /** Per user id: limits for that user (win over `users`). */
    per_user: z.record(z.string().min(1), limitValuesSchema).default({}),
    /** Period of the budget stored on keys (`limits.budget`). */
    key_budget_period: z.enum(['total', 'day', 'week', 'month']).default('total'),
    /** Output tokens reserved for a request that sets no max_tokens. */
    default_output_reserve: z.number().int().positive().default(1_024),
    /**
     * How long a concurrency slot outlives a process that died holding it (open requests renew
     * theirs every quarter of it). At least 4 s, so renewals stay a second apart.
     */
    concurrency_lease_seconds: z.number().int().min(4).max(3_600).default(120),
  })
  .strict();

export const cacheConfigSchema = z
  .object({
    enabled: z.boolean().default(false),
    /** Absent: `redis` when REDIS_URL is set, else `memory` (resolved in settings.ts). */
    backend: z.enum(['memory', 'sqlite', 'redis']).optional(),
    ttl_seconds: z.number().int().positive().default(3_600),
    max_entries: z.number().int().positive().default(10_000),
    max_bytes: z
      .number()
      .int()
      .positive()
      .default(64 * 1024 * 1024),
    /**
     * The largest answer kept: a larger one is relayed but not stored, and stops being copied
     * for the cache once it passes this (each answer in flight would hold a second copy).
     */
    max_entry_bytes: z
      .number()
      .int()
      .positive()
      .default(4 * 1024 * 1024),
    /** Cache requests with temperature absent or above 0 for every caller (off: only on request). */
    sampled: z.boolean().default(false),
    /** Key ids or names whose traffic never uses the cache. */
    disabled_keys: z.array(z.string().min(1)).default([]),
  })
  .strict();

export const accountingDefaults = {
  usage: usageConfigSchema.parse({}),
  limits: limitsConfigSchema.parse({}),
  cache: cacheConfigSchema.parse({}),
};

export type UsageConfig = z.infer<typeof usageConfigSchema>;
export type LimitsConfig = z.infer<typeof limitsConfigSchema>;
export type CacheConfig = z.infer<typeof cacheConfigSchema>;
export type CacheBackend = NonNullable<CacheConfig['backend']>;
export type PriceMapConfig = z.infer<typeof priceMapSchema>;

/** The accounting part of the settings (usage log, limits, response cache, prices). */
export interface AccountingSettings {
  readonly usage: UsageConfig;
  readonly limits: LimitsConfig;
  /** With the backend resolved. */
  readonly cache: CacheConfig & { readonly backend: CacheBackend };
  readonly prices: PriceMapConfig;
  /** Channel name -> its own prices, from `channels[].prices`. */
  readonly channelPrices: Readonly<Record<string, PriceMapConfig>>;
  /**
   * The deployment's one currency: that of every configured price, USD when none is set. Costs,
   * budgets and totals are in it; the built-in USD prices are used only when it is USD.
   */
  readonly currency: string;
}
