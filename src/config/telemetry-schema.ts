import { z } from 'zod';
import { envWholeNumber } from './env-number.js';

/** `metrics:` in the config file (docs/monitoring.md). */
export const metricsConfigSchema = z
  .object({
    /** Serve `GET /metrics` (with a token) and keep the counters. */
    enabled: z.boolean().default(true),
    /** Scrape token; METRICS_TOKEN wins. The admin token is always accepted too. */
    token: z.string().min(16, 'metrics.token must be at least 16 characters').optional(),
    /** A separate, unauthenticated listener for /metrics only; METRICS_PORT wins. */
    port: z.number().int().min(0).max(65535).optional(),
    /** Its address (default: server.host / HOST). */
    host: z.string().min(1).optional(),
    /** Client key ids with their own `key` label; every other key is `other`. */
    key_allowlist: z.array(z.string().min(1)).max(100).default([]),
    /** Users (by id or name) with their own `user` label; every other user is `other`. */
    user_allowlist: z.array(z.string().min(1)).max(100).default([]),
  })
  .strict();

export const metricsDefaults = { enabled: true, key_allowlist: [], user_allowlist: [] };

/** Comma-separated `name=value` pairs, values URL-encoded (the OTel SDK environment format). */
const otlpHeaders = z.string().transform((text, ctx) => {
  const headers: Record<string, string> = {};
  for (const pair of text.split(',')) {
    if (pair.trim() === '') continue;
    const eq = pair.indexOf('=');
    const name = eq > 0 ? pair.slice(0, eq).trim() : '';
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
      ctx.addIssue({ code: 'custom', message: 'use name=value pairs separated by commas' });
      return z.NEVER;
    }
    try {
      headers[name] = decodeURIComponent(pair.slice(eq + 1).trim());
    } catch {
      ctx.addIssue({ code: 'custom', message: `the value of ${name} is not URL-encoded correctly` });
      return z.NEVER;
    }
  }
  return headers;
});

const httpUrl = z
  .string()
  .url()
  .refine((url) => /^https?:\/\//.test(url), 'use an http:// or https:// URL');

/**
 * An OTEL_* variable. The OpenTelemetry SDKs take an empty value as unset (the spec says they
 * must), and templates pass one (`OTEL_EXPORTER_OTLP_ENDPOINT: ${OTEL_ENDPOINT:-}` in a compose
 * file): tracing is then off, rather than the start refused for an invalid URL.
 */
function otelVariable<T extends z.ZodType>(schema: T) {
  return z.preprocess((value) => (value === '' ? undefined : value), schema.optional());
}

export const telemetryEnvSchema = z.object({
  /** Overrides `metrics.token`. */
  METRICS_TOKEN: z.string().min(16, 'METRICS_TOKEN must be at least 16 characters').optional(),
  /** Overrides `metrics.port`. */
  METRICS_PORT: envWholeNumber(0, 65535).optional(),
  /** OTLP/HTTP base URL: traces go to `<endpoint>/v1/traces`. Unset: no tracing. */
  OTEL_EXPORTER_OTLP_ENDPOINT: otelVariable(httpUrl),
  /** The full traces URL, used as is (wins over the base URL). */
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: otelVariable(httpUrl),
  OTEL_EXPORTER_OTLP_HEADERS: otelVariable(otlpHeaders),
  OTEL_SERVICE_NAME: otelVariable(z.string().min(1)),
});

/**
 * The metrics settings given while `metrics.enabled: false` turns metrics off, by name (never
 * value: a token is a secret). Each would be dropped: no port served, no /metrics to protect.
 */
export function metricsSetWhileOff(
  env: z.infer<typeof telemetryEnvSchema>,
  file: z.infer<typeof metricsConfigSchema>,
): string[] {
  if (file.enabled) return [];
  const given: [string, unknown][] = [
    ['METRICS_PORT', env.METRICS_PORT],
    ['metrics.port', file.port],
    ['METRICS_TOKEN', env.METRICS_TOKEN],
    ['metrics.token', file.token],
    ['metrics.host', file.host],
  ];
  return given.filter(([, value]) => value !== undefined).map(([name]) => name);
}

export interface TelemetrySettings {
  readonly metrics: {
    readonly enabled: boolean;
    /** Secret: never log it. */
    readonly token: string | null;
    readonly port: number | null;
    readonly host: string | null;
    readonly keyAllowlist: readonly string[];
    readonly userAllowlist: readonly string[];
  };
  /** Null when no OTLP endpoint is set. The headers may hold credentials: never log them. */
  readonly traces: {
    readonly url: string;
    readonly headers: Readonly<Record<string, string>>;
    readonly serviceName: string;
  } | null;
}

export function resolveTelemetry(
  env: z.infer<typeof telemetryEnvSchema>,
  file: z.infer<typeof metricsConfigSchema>,
): TelemetrySettings {
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT;
  const url =
    env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? (base ? `${base.replace(/\/+$/, '')}/v1/traces` : null);
  return {
    metrics: {
      enabled: file.enabled,
      token: env.METRICS_TOKEN ?? file.token ?? null,
      port: env.METRICS_PORT ?? file.port ?? null,
      host: file.host ?? null,
      keyAllowlist: file.key_allowlist,
      userAllowlist: file.user_allowlist,
    },
    traces: url
      ? {
          url,
          headers: env.OTEL_EXPORTER_OTLP_HEADERS ?? {},
          serviceName: env.OTEL_SERVICE_NAME ?? 'switchboard',
        }
      : null,
  };
}
