import { z } from 'zod';
import type { RollupRow, UsageStore } from '../storage/accounting-ports.js';
import { addRows, emptyRollup, percentileFromHistogram } from '../usage/rollup.js';

/** Totals of some rollup rows, with error rate and latency percentiles (bucket upper bounds). */
export function summarize(rows: readonly RollupRow[]) {
  const sum = rows.reduce((acc, row) => addRows(acc, row), emptyRollup(0, 'all', '*'));
  return {
    requests: sum.requests,
    errors: sum.errors,
    error_rate: sum.requests > 0 ? Math.round((sum.errors / sum.requests) * 10_000) / 10_000 : 0,
    cache_hits: sum.cacheHits,
    prompt_tokens: sum.promptTokens,
    completion_tokens: sum.completionTokens,
    cached_tokens: sum.cachedTokens,
    reasoning_tokens: sum.reasoningTokens,
    total_tokens: sum.promptTokens + sum.completionTokens,
    cost: sum.cost,
    latency_ms: {
      mean: sum.requests > 0 ? Math.round(sum.latencyMsSum / sum.requests) : null,
      p50: percentileFromHistogram(sum.latencyHistogram, 0.5),
      p95: percentileFromHistogram(sum.latencyHistogram, 0.95),
      p99: percentileFromHistogram(sum.latencyHistogram, 0.99),
    },
  };
}

const INTERVAL_MS = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;

/** Rows folded into points per minute, hour or day, oldest first. */
export function usageSeries(rows: readonly RollupRow[], interval: keyof typeof INTERVAL_MS) {
  const size = INTERVAL_MS[interval];
  const points = new Map<number, RollupRow[]>();
  for (const row of rows) {
    const at = Math.floor(row.hour / size) * size;
    points.set(at, [...(points.get(at) ?? []), row]);
  }
  return [...points.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([at, group]) => ({ time: new Date(at).toISOString(), ...summarize(group) }));
}

const latencySchema = z.object({
  mean: z.number().nullable(),
  p50: z.number().nullable(),
  p95: z.number().nullable(),
  p99: z.number().nullable(),
});

export const usageGroupSchema = z.object({
  value: z.string(),
  requests: z.number(),
  errors: z.number(),
  error_rate: z.number(),
  cache_hits: z.number(),
  prompt_tokens: z.number(),
  completion_tokens: z.number(),
  cached_tokens: z.number(),
  reasoning_tokens: z.number(),
  total_tokens: z.number(),
  cost: z.number(),
  latency_ms: latencySchema.describe('bucket upper bounds from the hourly rollups'),
});

export const usageStatsSchema = z.object({
  from: z.string(),
  per_model: z.array(usageGroupSchema),
  per_channel: z.array(usageGroupSchema),
});

/** Tokens, cost, error rate and latency per model and per channel over the last day, from rollups. */
export async function usageStatsLastDay(
  usage: UsageStore,
  now: number,
): Promise<z.infer<typeof usageStatsSchema>> {
  const from = Math.floor((now - 86_400_000) / 3_600_000) * 3_600_000;
  const group = async (dimension: 'model' | 'channel') => {
    const rows = await usage.rollups({ dimension, from, to: now + 1 });
    const byValue = new Map<string, RollupRow[]>();
    for (const row of rows) byValue.set(row.value, [...(byValue.get(row.value) ?? []), row]);
    return [...byValue.entries()]
      .map(([value, group]) => ({ value, ...summarize(group) }))
      .sort((a, b) => b.requests - a.requests);
  };
  const [perModel, perChannel] = await Promise.all([group('model'), group('channel')]);
  return { from: new Date(from).toISOString(), per_model: perModel, per_channel: perChannel };
}
