import type { Context, Hono, MiddlewareHandler } from 'hono';
import { z } from 'zod';
import { GatewayError } from '../errors/gateway-error.js';
import type { GatewayEnv } from '../http/context.js';
import type { UsageRecord } from '../spec/usage.js';
import type { RollupDimension, UsageLogQuery, UsageStore } from '../storage/accounting-ports.js';
import { cursorPageFields } from './cursor-page-query.js';
import { epochMs } from './epoch-ms.js';
import { parseOrThrow } from './invalid-request.js';
import { csvHeader, csvRow, exportLog } from './log-export.js';
import { summarize, usageSeries } from './usage-summary.js';

const HOUR_MS = 3_600_000;

export interface UsageRouteDeps {
  readonly admin: MiddlewareHandler<GatewayEnv>;
  readonly usage: UsageStore;
  readonly now: () => number;
  /** The deployment's currency (src/config/price-currency.ts): every cost summed here is in it. */
  readonly currency: string;
}

const DAY_MS = 86_400_000;
const time = z.union([epochMs, z.iso.datetime({ offset: true }).transform((s) => Date.parse(s))]);

// Strict: an unknown filter answers 400 naming it rather than silently listing everything.
export const logQuery = z
  .object({
    request_id: z.string().min(1).optional().describe('only the requests with this x-request-id'),
    from: time.optional(),
    to: time.optional(),
    user: z.string().min(1).optional(),
    key: z.string().min(1).optional(),
    model: z.string().min(1).optional(),
    channel: z.string().min(1).optional(),
    status: z.coerce.number().int().min(0).max(999).optional(),
    failed: z.stringbool().optional().describe('true: only requests with status >= 400'),
    ...cursorPageFields,
  })
  .strict();

export const exportQuery = logQuery
  .omit({ limit: true, cursor: true })
  .extend({ format: z.enum(['csv', 'jsonl']).default('csv') });

/** The log filters of a /logs or /logs/export query, as the store takes them. */
function logFilters(q: Omit<z.infer<typeof exportQuery>, 'format'>): Omit<UsageLogQuery, 'limit' | 'cursor'> {
  return {
    ...(q.request_id ? { requestId: q.request_id } : {}),
    ...(q.from !== undefined ? { from: q.from } : {}),
    ...(q.to !== undefined ? { to: q.to } : {}),
    ...(q.user ? { userId: q.user } : {}),
    ...(q.key ? { keyId: q.key } : {}),
    ...(q.model ? { model: q.model } : {}),
    ...(q.channel ? { channel: q.channel } : {}),
    ...(q.status !== undefined ? { status: q.status } : {}),
    ...(q.failed ? { failedOnly: true } : {}),
  };
}

export const usageQuery = z
  .object({
    from: time.optional(),
    to: time.optional(),
    group_by: z.enum(['all', 'key', 'user', 'model', 'channel']).default('all'),
    value: z.string().min(1).optional(),
    interval: z.enum(['minute', 'hour', 'day']).default('hour'),
  })
  .strict();

const MINUTE_MS = 60_000;
/** `interval=minute` reads raw records, so its range is kept short. */
const MINUTE_RANGE_MAX_MS = 6 * 3_600_000;

/**
 * The request log and usage summaries under /admin/api, behind the admin token. Summaries read
 * the hourly rollups only, so their cost does not grow with the number of requests.
 */
export function mountUsageRoutes(app: Hono<GatewayEnv>, deps: UsageRouteDeps): void {
  app.get('/admin/api/logs', deps.admin, async (c) => {
    const q = parse(logQuery, c);
    const page = await deps.usage.list({ ...logFilters(q), limit: q.limit, cursor: q.cursor ?? null });
    return c.json({ object: 'list', data: page.records.map(logView), next_cursor: page.nextCursor });
  });

  // The same filters as /logs; the whole match, not one page.
  const exportLogs = (c: Context<GatewayEnv>): Response => {
    const q = parse(exportQuery, c);
    const csv = q.format === 'csv';
    const stamp = new Date(deps.now()).toISOString().replaceAll(':', '-').slice(0, 19);
    const body = exportLog(deps.usage, logFilters(q), {
      header: csv ? csvHeader() : '',
      row: csv ? csvRow : (r) => `${JSON.stringify(logView(r))}\n`,
    });
    return new Response(body, {
      headers: {
        'content-type': csv ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8',
        'content-disposition': `attachment; filename="switchboard-requests-${stamp}.${csv ? 'csv' : 'jsonl'}"`,
        'cache-control': 'no-store',
      },
    });
  };

  // `/logs/export` too: a fixed segment beside a parameter cannot be compiled into Hono's
  // RegExpRouter, and one such route slows every request (test/e2e/fast-router.test.ts).
  app.get('/admin/api/logs/:requestId', deps.admin, async (c) => {
    const id = c.req.param('requestId');
    if (id === 'export') return exportLogs(c);
    const records = await deps.usage.get(id);
    if (records.length === 0) throw new GatewayError('resource_not_found', `no request log entry "${id}"`);
    // A client may reuse its x-request-id; every request under it is listed.
    return c.json({ request_id: id, data: records.map(logView) });
  });

  app.get('/admin/api/usage', deps.admin, async (c) => {
    const q = parse(usageQuery, c);
    const to = q.to ?? deps.now();
    const from = q.from ?? to - (q.interval === 'minute' ? 3_600_000 : DAY_MS);
    if (q.interval === 'minute' && to - from > MINUTE_RANGE_MAX_MS) {
      throw new GatewayError('invalid_request', 'interval=minute covers at most 6 hours: narrow from/to', {
        param: 'interval',
      });
    }
    if (q.interval === 'minute') {
      // Per-minute points, totals and groups all from the raw records of exactly [from, to).
      const perMinute = await deps.usage.buckets({ from, to, bucketMs: MINUTE_MS, dimension: q.group_by });
      const rows = q.value === undefined ? perMinute : perMinute.filter((r) => r.value === q.value);
      return c.json(usageReport(from, to, q.group_by, rows, 'minute', deps.currency));
    }
    // Rollups are whole hours: the range widens to the hours it touches, and the report says so
    // (its from/to), so its totals are the request log's over the same bounds.
    const hourFrom = Math.floor(from / HOUR_MS) * HOUR_MS;
    const hourTo = Math.ceil(to / HOUR_MS) * HOUR_MS;
    const rows = await deps.usage.rollups({
      dimension: q.group_by as RollupDimension,
      from: hourFrom,
      to: hourTo,
      ...(q.value ? { value: q.value } : {}),
    });
    return c.json(usageReport(hourFrom, hourTo, q.group_by, rows, q.interval, deps.currency));
  });
}

/** GET /admin/api/usage (the panel's type, ui/src/api/types.ts). */
export type UsageReport = ReturnType<typeof usageReport>;

function usageReport(
  from: number,
  to: number,
  groupBy: z.infer<typeof usageQuery>['group_by'],
  rows: Parameters<typeof summarize>[0],
  interval: Parameters<typeof usageSeries>[1],
  currency: string,
) {
  return {
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    group_by: groupBy,
    currency,
    totals: summarize(rows),
    groups: groupTotals(rows),
    series: usageSeries(rows, interval),
  };
}

function groupTotals(rows: Parameters<typeof summarize>[0]) {
  const byValue = new Map<string, typeof rows>();
  for (const row of rows) byValue.set(row.value, [...(byValue.get(row.value) ?? []), row]);
  return [...byValue.entries()]
    .map(([value, group]) => ({ value, ...summarize(group) }))
    .sort((a, b) => b.requests - a.requests);
}

function parse<T extends z.ZodType>(schema: T, c: Context<GatewayEnv>): z.infer<T> {
  return parseOrThrow(schema, c.req.query());
}

/** One log entry as the admin API shows it (the panel's type, ui/src/api/types.ts). */
export type LogEntry = ReturnType<typeof logView>;

/** One log entry as the admin API shows it (the upstream key is already masked). */
export function logView(r: UsageRecord) {
  return {
    request_id: r.requestId,
    started_at: new Date(r.startedAt).toISOString(),
    user_id: r.userId,
    key_id: r.keyId,
    operation: r.operation,
    model_asked: r.modelAsked,
    model_served: r.modelServed,
    channel: r.channel,
    upstream_key: r.upstreamKey,
    stream: r.stream,
    status: r.status,
    error_code: r.errorCode,
    prompt_tokens: r.usage?.promptTokens ?? null,
    completion_tokens: r.usage?.completionTokens ?? null,
    cached_tokens: r.usage?.cachedTokens ?? null,
    cache_write_tokens: r.usage?.cacheWriteTokens ?? null,
    reasoning_tokens: r.usage?.reasoningTokens ?? null,
    count_source: r.countSource,
    cost: r.cost,
    prices: r.prices
      ? {
          input: r.prices.input,
          output: r.prices.output,
          cached_input: r.prices.cachedInput ?? null,
          cache_write: r.prices.cacheWrite ?? null,
          cache_write_1h: r.prices.cacheWrite1h ?? null,
          reasoning: r.prices.reasoning ?? null,
          currency: r.prices.currency,
        }
      : null,
    cache_hit: r.cacheHit,
    first_byte_ms: r.firstByteMs,
    latency_ms: r.latencyMs,
    attempts: r.attempts.map((a) => ({
      channel: a.channel,
      key_index: a.keyIndex,
      status: a.status,
      error: a.error ?? null,
      latency_ms: a.latencyMs,
      upstream_request_id: a.upstreamRequestId ?? null,
    })),
  };
}
