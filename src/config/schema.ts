import { z } from 'zod';
import { isValidCidr } from '../auth/ip-allowlist.js';
import { MASK_MARK } from '../auth/secret-box.js';
import { MODEL_NAME_MAX } from '../spec/model-name.js';
import {
  accountingDefaults,
  cacheConfigSchema,
  limitsConfigSchema,
  priceMapSchema,
  usageConfigSchema,
} from './accounting-schema.js';
import { baseUrlSchema } from './base-url.js';
import { envWholeNumber } from './env-number.js';
import { metricsConfigSchema, metricsDefaults, telemetryEnvSchema } from './telemetry-schema.js';

const positiveMs = z.number().int().positive();

const CIDR_MESSAGE = 'not a CIDR (e.g. 10.0.0.0/8, 2001:db8::/32) or address';

/** The longest delay Node's setTimeout honours: a longer one fires after 1 ms instead. */
const MAX_TIMER_MS = 2_147_483_647;
/** A time a timer waits for (time-outs, the deadline, the drain). */
const timerMs = positiveMs.max(
  MAX_TIMER_MS,
  'at most 2147483647 ms (about 24.8 days), what a timer can wait',
);

/** What fetch can send as a header value (Latin-1, no line breaks or control characters). */
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const headerValue = z
  .string()
  // A masked value (`sk-…abcd`, as the admin API shows a secret header) sent back is no value.
  .refine((value) => !value.includes(MASK_MARK), {
    message: 'is masked (as the admin API shows a secret header): send the whole value',
  })
  .regex(HEADER_VALUE, 'not an HTTP header value (Latin-1, no line breaks or control characters)');

export const timeoutSchema = z
  .object({
    /** TCP (and TLS) connect to the upstream; the Node upstream fetch enforces it. */
    connect_ms: timerMs.default(10_000),
    first_byte_ms: timerMs.default(60_000),
    idle_ms: timerMs.default(120_000),
    total_ms: timerMs.default(600_000),
  })
  .strict();

/**
 * The longest channel name. The name is the channel's table key, an audit-log and a usage-rollup
 * index key, and a usage record column: Postgres bounds index entries (~2.7 kB), so a longer one
 * made saving the channel an internal error there (SQLite took it).
 */
export const CHANNEL_NAME_MAX = 100;

export const channelSchema = z
  .object({
    name: z
      .string()
      .min(1)
      .max(CHANNEL_NAME_MAX)
      .regex(/^[A-Za-z0-9._-]+$/, 'use letters, digits, dot, dash or underscore')
      // `.` and `..` are path segments a URL resolves away: /channels/.. could never be reached.
      .refine((name) => name !== '.' && name !== '..', 'cannot be "." or ".." (a URL resolves them away)'),
    provider: z.string().min(1),
    base_url: baseUrlSchema.optional(),
    key: z.string().min(1).optional(),
    keys: z.array(z.string().min(1)).default([]),
    models: z.array(z.string().min(1)).default([]),
    /** Values are the served model a usage record keeps: bounded like a client's model name. */
    model_map: z.record(z.string(), z.string().min(1).max(MODEL_NAME_MAX)).default({}),
    priority: z.number().int().default(0),
    weight: z.number().positive().default(1),
    // Checked here, not at the first request: fetch refuses a header it cannot send.
    headers: z
      .record(z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'not an HTTP header name'), headerValue)
      .default({}),
    /** API version for providers that version by query string (Azure OpenAI `api-version`). */
    api_version: z.string().min(1).optional(),
    timeout: timeoutSchema.default({
      connect_ms: 10_000,
      first_byte_ms: 60_000,
      idle_ms: 120_000,
      total_ms: 600_000,
    }),
    /** Pin a conversation to one upstream key while it is healthy (docs/routing.md). */
    affinity: z.boolean().default(false),
    /** Output-token cap per model (exact or `*` glob); requests asking for more are clamped. */
    max_output_tokens: z.record(z.string().min(1), z.number().int().positive()).optional(),
    /** Prices for models served by this channel; win over `prices` (docs/usage-and-limits.md). */
    prices: priceMapSchema.optional(),
  })
  .strict();

export type ChannelConfig = z.infer<typeof channelSchema>;
/** A channel as written in a config file (defaults not yet filled). */
export type ChannelConfigInput = z.input<typeof channelSchema>;

export const strategyNameSchema = z.enum([
  'weighted-random',
  'round-robin',
  'random',
  'least-used',
  'latency',
]);

/** Retries, budget, circuit breaker and selection; every field is documented in docs/routing.md. */
export const routingSchema = z
  .object({
    max_attempts: z.number().int().min(1).max(20).default(4),
    strategy: strategyNameSchema.default('weighted-random'),
    /** Per model group: the first group whose pattern (exact or `*` glob) matches the model wins. */
    model_groups: z
      .array(z.object({ models: z.array(z.string().min(1)).min(1), strategy: strategyNameSchema }).strict())
      .default([]),
    deadline_ms: timerMs.default(600_000),
    retry_budget_ratio: z.number().min(0).max(10).default(0.2),
    retry_budget_burst: z.number().min(0).max(10_000).default(10),
    backoff: z
      .object({
        base_ms: z.number().int().min(0).default(100),
        max_ms: z.number().int().min(0).default(5_000),
        retry_after_max_ms: z.number().int().min(0).default(30_000),
      })
      .strict()
      .default({ base_ms: 100, max_ms: 5_000, retry_after_max_ms: 30_000 }),
    breaker: z
      .object({
        failure_threshold: z.number().int().min(1).default(3),
        cooldown_ms: positiveMs.default(5_000),
        max_cooldown_ms: positiveMs.default(300_000),
      })
      .strict()
      .default({ failure_threshold: 3, cooldown_ms: 5_000, max_cooldown_ms: 300_000 }),
    rate_limit_cooldown_ms: positiveMs.default(5_000),
    model_missing_cooldown_ms: positiveMs.default(600_000),
    /** A key the upstream rejected (401/403) is tried again after this, doubling up to the max. */
    key_retry_ms: positiveMs.default(60_000),
    key_retry_max_ms: positiveMs.default(3_600_000),
    latency_explore_ratio: z.number().min(0).max(1).default(0.1),
    affinity_messages: z.number().int().min(1).max(50).default(2),
    /**
     * Refuse pass-through calls to the upstream account's own resources (files, batches,
     * stored completions, …) for every client key, not only model-restricted ones.
     */
    deny_account_resources: z.boolean().default(false),
  })
  .strict()
  .superRefine((routing, ctx) => {
    // Each wait doubles from its first value up to its ceiling: a first value above the ceiling
    // (often a raised first value under the default ceiling) would be cut to it without a word.
    const pairs = [
      [['backoff', 'base_ms'], routing.backoff.base_ms, ['backoff', 'max_ms'], routing.backoff.max_ms],
      [
        ['breaker', 'cooldown_ms'],
        routing.breaker.cooldown_ms,
        ['breaker', 'max_cooldown_ms'],
        routing.breaker.max_cooldown_ms,
      ],
      [['key_retry_ms'], routing.key_retry_ms, ['key_retry_max_ms'], routing.key_retry_max_ms],
    ] as const;
    for (const [firstPath, first, ceilingPath, ceiling] of pairs) {
      if (ceiling < first)
        ctx.addIssue({
          code: 'custom',
          path: [...ceilingPath],
          message: `${ceiling} is below ${firstPath.join('.')} (${first}): every wait would be cut to ${ceiling}; raise this ceiling too`,
        });
    }
  });

export type RoutingConfig = z.infer<typeof routingSchema>;

export const fileConfigSchema = z
  .object({
    server: z
      .object({
        port: z.number().int().min(0).max(65535).optional(),
        host: z.string().min(1).optional(),
        body_limit: z.union([z.number().int().positive(), z.string()]).optional(),
        response_limit: z.union([z.number().int().positive(), z.string()]).optional(),
        cors_origins: z.array(z.string().min(1)).optional(),
        /**
         * Reverse proxies (CIDRs or addresses) whose `X-Forwarded-For` names the client: key IP
         * allowlists and the sign-in lock-out then see the client, not the proxy. Empty: the TCP peer.
         */
        trusted_proxies: z.array(z.string().refine(isValidCidr, CIDR_MESSAGE)).optional(),
        /** On SIGTERM/SIGINT, how long in-flight requests and streams may take to finish. */
        drain_ms: z.number().int().min(0).max(MAX_TIMER_MS).optional(),
      })
      .strict()
      .default({}),
    database_url: z.string().min(1).optional(),
    redis_url: z
      .string()
      .regex(/^rediss?:\/\//i, 'redis_url must start with redis:// or rediss://')
      .optional(),
    /** The database connection (docs/configuration.md, "Database"). */
    database: z
      .object({
        /** Connections one process holds at most (Postgres; SQLite has one). */
        pool_size: z.number().int().min(1).max(1_000).optional(),
        /** Longest wait for a Postgres connection (a new one, or a free one from the pool). */
        connect_timeout_ms: z.number().int().min(100).max(600_000).optional(),
        /** A Postgres query unanswered this long fails, and its connection is closed. */
        query_timeout_ms: z.number().int().min(100).max(3_600_000).optional(),
        /** Run pending migrations at start; false: refuse a database that is behind. */
        migrate: z.boolean().default(true),
      })
      .strict()
      .default({ migrate: true }),
    log_level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
    routing: routingSchema.default(routingSchema.parse({})),
    // Sent to OpenRouter as X-Title and HTTP-Referer: fetch would refuse every such request.
    app: z
      .object({
        name: z
          .string()
          .regex(HEADER_VALUE, 'sent as the X-Title header: Latin-1 characters only, no line breaks')
          .default('Switchboard'),
        url: z
          .string()
          .regex(HEADER_VALUE, 'sent as the HTTP-Referer header: no line breaks or non-Latin-1 characters')
          .optional(),
      })
      .strict()
      .default({ name: 'Switchboard' }),
    channels: z.array(channelSchema).default([]),
    /** The admin panel at /admin and its sign-in (docs/admin-panel.md). */
    admin: z
      .object({
        /** Serve the built panel at /admin (the admin API is on either way). */
        panel: z.boolean().default(true),
        /** How long a panel sign-in lasts. */
        session_hours: z
          .number()
          .positive()
          .max(24 * 30)
          .default(12),
        /** A wrong admin token at the sign-in form is answered only after this long. */
        sign_in_delay_ms: z.number().int().min(0).max(60_000).default(1_000),
        /** Audit entries older than this are deleted; 0 keeps them forever. */
        audit_retention_days: z.number().int().nonnegative().default(0),
      })
      .strict()
      .default({ panel: true, session_hours: 12, sign_in_delay_ms: 1_000, audit_retention_days: 0 }),
    /** Client model name (or `*` glob) → model routed, e.g. Claude Code's names → any upstream. */
    model_aliases: z.record(z.string().min(1), z.string().min(1).max(MODEL_NAME_MAX)).default({}),
    /** Model used by `POST /chat` when the request names none. */
    default_model: z.string().min(1).optional(),
    // Usage log, limits, response cache and prices (docs/usage-and-limits.md).
    usage: usageConfigSchema.default(accountingDefaults.usage),
    limits: limitsConfigSchema.default(accountingDefaults.limits),
    cache: cacheConfigSchema.default(accountingDefaults.cache),
    prices: priceMapSchema.default({}),
    /** The Responses API's stored answers (docs/responses-api.md). */
    responses: z
      .object({
        /** How long a stored response (for previous_response_id and GET /v1/responses/{id}) is kept. */
        store_ttl_days: z
          .number()
          .positive()
          .max(365 * 10)
          .default(30),
      })
      .strict()
      .default({ store_ttl_days: 30 }),
    /** Where channels may point (docs/configuration.md, "Upstream addresses"). */
    upstreams: z
      .object({
        /** Refuse loopback, private, link-local and similar upstream addresses, also after DNS. */
        deny_private: z.boolean().default(false),
      })
      .strict()
      .default({ deny_private: false }),
    /** Prometheus metrics (docs/monitoring.md). */
    metrics: metricsConfigSchema.default(metricsDefaults),
  })
  .strict();

export type FileConfig = z.infer<typeof fileConfigSchema>;

/**
 * A secret set in env: 16+ characters, and not one of deploy/.env.example's placeholders
 * (`change-me-...`): those are public, so an unedited copy of the example must not start.
 */
function secretSchema(name: string) {
  return z
    .string()
    .min(16, `${name} must be at least 16 characters`)
    .refine((value) => !/^change-me/i.test(value), {
      message: `${name} is still the placeholder from deploy/.env.example: set a random value (openssl rand -base64 32)`,
    })
    .optional();
}

export const envSchema = z
  .object({
    PORT: envWholeNumber(0, 65535).optional(),
    HOST: z.string().min(1).optional(),
    DATABASE_URL: z.string().min(1).optional(),
    DATABASE_POOL_SIZE: envWholeNumber(1, 1_000).optional(),
    DATABASE_CONNECT_TIMEOUT_MS: envWholeNumber(100, 600_000).optional(),
    /** A Postgres query unanswered this long fails and its connection is closed (default 30 000 ms). */
    DATABASE_QUERY_TIMEOUT_MS: envWholeNumber(100, 3_600_000).optional(),
    /** Shared state for many instances (limits, router health, cache, change feed, usage buffer). */
    REDIS_URL: z
      .string()
      .regex(/^rediss?:\/\//i, 'REDIS_URL must start with redis:// or rediss://')
      .optional(),
    /** Prepended to every Redis key (default `switchboard:`), so deployments can share one Redis. */
    REDIS_KEY_PREFIX: z.string().min(1).max(100).optional(),
    /** A Redis command unanswered this long counts as Redis away (default 2 000 ms). */
    REDIS_COMMAND_TIMEOUT_MS: envWholeNumber(50, 60_000).optional(),
    CONFIG: z.string().min(1).optional(),
    /** `usage.buffer.file`: the usage journal of a Postgres process without Redis (containers: on /data). */
    USAGE_BUFFER_FILE: z.string().min(1).optional(),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
    BODY_LIMIT: z.string().min(1).optional(),
    /** Largest non-stream upstream answer the gateway holds in memory (default 256mb). */
    RESPONSE_LIMIT: z.string().min(1).optional(),
    CORS_ORIGINS: z.string().min(1).optional(),
    /** Comma-separated; overrides `server.trusted_proxies`. */
    TRUSTED_PROXIES: z
      .string()
      .refine(
        (value) => value.split(',').every((cidr) => isValidCidr(cidr.trim())),
        `${CIDR_MESSAGE} (a comma-separated list)`,
      )
      .optional(),
    /** Admin API secret; when unset, one is generated on first start and only its hash kept. */
    ADMIN_TOKEN: secretSchema('ADMIN_TOKEN'),
    /** The sealing key for upstream keys at rest; unset: a key file generated beside the database. */
    SWITCHBOARD_SECRET_KEY: secretSchema('SWITCHBOARD_SECRET_KEY'),
    DEFAULT_MODEL: z.string().min(1).optional(),
    /**
     * The secret shared with edge Workers (docs/workers.md, "Edge and origin"): set, this
     * gateway serves the signed /internal/edge/* endpoints; unset, they do not exist.
     */
    EDGE_SECRET: z.string().min(32, 'EDGE_SECRET must be at least 32 characters').optional(),
  })
  .extend(telemetryEnvSchema.shape);
