import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import type { AccountingSettings } from './accounting-schema.js';
import { parseByteSize } from './byte-size.js';
import { interpolateEnv } from './interpolate.js';
import { deploymentCurrency } from './price-currency.js';
import {
  type ChannelConfig,
  envSchema,
  type FileConfig,
  fileConfigSchema,
  type RoutingConfig,
} from './schema.js';
import { metricsSetWhileOff, resolveTelemetry, type TelemetrySettings } from './telemetry-schema.js';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** Everything the process needs to know, validated once and frozen. */
export interface Settings {
  readonly port: number;
  readonly host: string;
  readonly databaseUrl: string;
  /** Postgres connections per process, and whether `serve` (and the local CLI) migrate at start. */
  readonly database: {
    readonly poolSize: number;
    /** Longest wait for a Postgres connection, new or from the pool. */
    readonly connectTimeoutMs: number;
    /**
     * A Postgres query unanswered this long fails and its connection is closed; migrations,
     * retention prunes and usage shipping have allowances of their own.
     */
    readonly queryTimeoutMs: number;
    readonly migrate: boolean;
  };
  /**
   * REDIS_URL: limits, router health, the response cache, sign-in throttling, the change feed
   * and the usage buffer shared by every instance (docs/deployment.md); null: per process.
   */
  readonly redisUrl: string | null;
  /** REDIS_KEY_PREFIX: every Redis key starts with it (default `switchboard:`). */
  readonly redisKeyPrefix: string;
  /**
   * REDIS_COMMAND_TIMEOUT_MS: a command unanswered this long fails, and every Redis store (limits,
   * health, cache, sign-in throttle, usage records) leaves Redis alone for a second and works in
   * this process meanwhile (docs/usage-and-limits.md); default 2 000.
   */
  readonly redisCommandTimeoutMs: number;
  readonly logLevel: LogLevel;
  readonly bodyLimitBytes: number;
  /**
   * RESPONSE_LIMIT / server.response_limit: the largest non-stream upstream answer held whole
   * before it is relayed (streams and pass-through bodies are relayed as they arrive).
   */
  readonly responseLimitBytes: number;
  readonly corsOrigins: readonly string[];
  /**
   * TRUSTED_PROXIES / server.trusted_proxies: reverse proxies whose `X-Forwarded-For` names the
   * client (src/http/forwarded-client.ts); empty: the TCP peer is the client. Node only: on
   * Workers the client is Cloudflare's `CF-Connecting-IP`.
   */
  readonly trustedProxies: readonly string[];
  readonly maxAttempts: number;
  /** Retries, budget, breaker and strategies (docs/routing.md). */
  readonly routing: RoutingConfig;
  /** Graceful shutdown: how long in-flight requests may take to finish. */
  readonly drainMs: number;
  readonly app: { readonly name: string; readonly url?: string };
  readonly channels: readonly ChannelConfig[];
  /** `upstreams.deny_private`: channels may not point at loopback or private addresses. */
  readonly denyPrivateUpstreams: boolean;
  readonly modelAliases: Readonly<Record<string, string>>;
  readonly configPath: string | null;
  /** Model for `POST /chat` requests that name none (DEFAULT_MODEL / default_model). */
  readonly defaultModel: string | null;
  /** Secrets from env: never log them. ADMIN_TOKEN, SWITCHBOARD_SECRET_KEY and EDGE_SECRET. */
  readonly secrets: {
    readonly adminToken: string | null;
    readonly secretKey: string | null;
    /** Shared with edge Workers; null = the origin's internal edge endpoints are not served. */
    readonly edgeSecret: string | null;
  };
  /** Usage log, limits, response cache and prices. */
  readonly accounting: AccountingSettings;
  /** Prometheus metrics and OpenTelemetry traces (docs/monitoring.md). */
  readonly telemetry: TelemetrySettings;
  /** The admin panel (/admin) and its cookie sessions. */
  readonly admin: {
    readonly panel: boolean;
    readonly sessionTtlMs: number;
    readonly signInDelayMs: number;
    /** null: audit entries are kept forever. */
    readonly auditRetentionMs: number | null;
  };
  /** `responses.store_ttl_days`: how long stored Responses API answers are kept. */
  readonly responses: { readonly storeTtlMs: number };
}

/** A bad setting: the message names the field and what is wrong with it. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

export const DEFAULT_DATABASE_URL = 'sqlite:./data/switchboard.db';
export const DEFAULT_POOL_SIZE = 10;
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
export const DEFAULT_QUERY_TIMEOUT_MS = 30_000;
const DEFAULT_BODY_LIMIT = 4 * 1024 * 1024;
/** Room for a large embeddings batch (2,048 inputs of 3,072 floats is ~80 MB of JSON). */
const DEFAULT_RESPONSE_LIMIT = 256 * 1024 * 1024;

export interface SettingsInput {
  env: Record<string, string | undefined>;
  /** The config file's text and path, when there is one. */
  file?: { path: string; text: string };
}

export function resolveSettings(input: SettingsInput): Settings {
  const env = check(envSchema, input.env, 'env');
  const file = input.file
    ? parseFile(input.file.path, input.file.text, input.env)
    : check(fileConfigSchema, {}, '');
  const bodyLimitBytes = byteSizeSetting(
    env.BODY_LIMIT,
    'BODY_LIMIT',
    file.server.body_limit,
    'server.body_limit',
    DEFAULT_BODY_LIMIT,
  );
  const responseLimitBytes = byteSizeSetting(
    env.RESPONSE_LIMIT,
    'RESPONSE_LIMIT',
    file.server.response_limit,
    'server.response_limit',
    DEFAULT_RESPONSE_LIMIT,
  );
  const redisUrl = env.REDIS_URL ?? file.redis_url ?? null;
  if (file.cache.backend === 'redis' && redisUrl === null)
    throw new ConfigError('cache.backend: redis needs REDIS_URL (or redis_url) to be set');
  // A metrics port, token or host with metrics off would serve or protect nothing: say so.
  const metricsOff = metricsSetWhileOff(env, file.metrics).join(', ');
  if (metricsOff)
    throw new ConfigError(
      `${metricsOff}: set, but metrics.enabled: false turns metrics off; remove ${metricsOff} or set metrics.enabled: true`,
    );
  const channelPrices = Object.fromEntries(
    file.channels.flatMap((c) => (c.prices ? [[c.name, c.prices]] : [])),
  );
  const priced = deploymentCurrency(file.prices, channelPrices);
  if ('problem' in priced) throw new ConfigError(priced.problem);
  const settings: Settings = {
    port: env.PORT ?? file.server.port ?? 8080,
    host: env.HOST ?? file.server.host ?? '0.0.0.0',
    databaseUrl: env.DATABASE_URL ?? file.database_url ?? DEFAULT_DATABASE_URL,
    database: {
      poolSize: env.DATABASE_POOL_SIZE ?? file.database.pool_size ?? DEFAULT_POOL_SIZE,
      connectTimeoutMs:
        env.DATABASE_CONNECT_TIMEOUT_MS ?? file.database.connect_timeout_ms ?? DEFAULT_CONNECT_TIMEOUT_MS,
      queryTimeoutMs:
        env.DATABASE_QUERY_TIMEOUT_MS ?? file.database.query_timeout_ms ?? DEFAULT_QUERY_TIMEOUT_MS,
      migrate: file.database.migrate,
    },
    redisUrl,
    redisKeyPrefix: env.REDIS_KEY_PREFIX ?? 'switchboard:',
    redisCommandTimeoutMs: env.REDIS_COMMAND_TIMEOUT_MS ?? 2_000,
    logLevel: env.LOG_LEVEL ?? file.log_level ?? 'info',
    bodyLimitBytes,
    responseLimitBytes,
    corsOrigins: env.CORS_ORIGINS
      ? env.CORS_ORIGINS.split(',').map((o) => o.trim())
      : (file.server.cors_origins ?? ['*']),
    trustedProxies: env.TRUSTED_PROXIES
      ? env.TRUSTED_PROXIES.split(',').map((cidr) => cidr.trim())
      : (file.server.trusted_proxies ?? []),
    maxAttempts: file.routing.max_attempts,
    routing: file.routing,
    drainMs: file.server.drain_ms ?? 30_000,
    app: file.app,
    channels: file.channels,
    denyPrivateUpstreams: file.upstreams.deny_private,
    modelAliases: file.model_aliases,
    configPath: input.file?.path ?? null,
    defaultModel: env.DEFAULT_MODEL ?? file.default_model ?? null,
    secrets: {
      adminToken: env.ADMIN_TOKEN ?? null,
      secretKey: env.SWITCHBOARD_SECRET_KEY ?? null,
      edgeSecret: env.EDGE_SECRET ?? null,
    },
    telemetry: resolveTelemetry(env, file.metrics),
    admin: {
      panel: file.admin.panel,
      sessionTtlMs: Math.round(file.admin.session_hours * 3_600_000),
      signInDelayMs: file.admin.sign_in_delay_ms,
      auditRetentionMs:
        file.admin.audit_retention_days > 0 ? file.admin.audit_retention_days * 86_400_000 : null,
    },
    responses: { storeTtlMs: Math.round(file.responses.store_ttl_days * 86_400_000) },
    accounting: {
      usage: {
        ...file.usage,
        buffer: { ...file.usage.buffer, file: env.USAGE_BUFFER_FILE ?? file.usage.buffer.file },
      },
      limits: file.limits,
      // Not given: shared through Redis when there is one (many instances), else per process.
      cache: { ...file.cache, backend: file.cache.backend ?? (redisUrl === null ? 'memory' : 'redis') },
      prices: file.prices,
      channelPrices,
      currency: priced.currency,
    },
  };
  assertUniqueChannelNames(settings.channels);
  return deepFreeze(settings);
}

function parseFile(path: string, text: string, env: Record<string, string | undefined>): FileConfig {
  let raw: unknown;
  try {
    // `merge`: `<<: *anchor` merges the anchored map (YAML 1.1, as docker-compose files use it);
    // without it `<<` is a plain key, which the schema refuses as unknown.
    raw = parseYaml(text, { merge: true }) ?? {};
  } catch (err) {
    throw new ConfigError(`${path}: not valid YAML: ${yamlProblem(err)}`);
  }
  try {
    raw = interpolateEnv(raw, env);
  } catch (err) {
    throw new ConfigError(`${path}: ${(err as Error).message}`);
  }
  return check(fileConfigSchema, raw, path);
}

/**
 * A YAML parse error as one line: what and where (`... at line 6, column 5`), without the lines
 * of the file the parser quotes after it, which may hold an upstream key or a database password.
 */
export function yamlProblem(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return (message.split('\n')[0] ?? '').replace(/:\s*$/, '');
}

function check<T extends z.ZodType>(schema: T, value: unknown, where: string): z.infer<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue?.path.map(String).join('.') || '(root)';
  const prefix = where ? `${where}: ` : '';
  throw new ConfigError(`${prefix}${field}: ${issue?.message ?? 'invalid'}`);
}

function assertUniqueChannelNames(channels: readonly ChannelConfig[]): void {
  const seen = new Set<string>();
  channels.forEach((channel, i) => {
    if (seen.has(channel.name))
      throw new ConfigError(`channels.${i}.name: duplicate channel name "${channel.name}"`);
    seen.add(channel.name);
  });
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) deepFreeze(item);
  }
  return value;
}

/** A size from env (first) or the config file, e.g. `4mb`; the default when neither sets it. */
function byteSizeSetting(
  fromEnv: string | undefined,
  envName: string,
  fromFile: string | number | undefined,
  fileName: string,
  fallback: number,
): number {
  const source = fromEnv ?? fromFile;
  if (source === undefined) return fallback;
  try {
    return parseByteSize(source);
  } catch (err) {
    throw new ConfigError(`${fromEnv !== undefined ? envName : fileName}: ${(err as Error).message}`);
  }
}
