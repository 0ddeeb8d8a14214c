import type { TokenUsage, UsageRecord } from '../spec/usage.js';
import { LATENCY_BUCKETS_MS, type RollupDimension, type RollupRow } from '../storage/accounting-ports.js';

const HOUR_MS = 3_600_000;

export function hourOf(time: number): number {
  return Math.floor(time / HOUR_MS) * HOUR_MS;
}

export function latencyBucket(latencyMs: number): number {
  const index = LATENCY_BUCKETS_MS.findIndex((bound) => latencyMs <= bound);
  return index === -1 ? LATENCY_BUCKETS_MS.length : index;
}

export function emptyRollup(hour: number, dimension: RollupDimension, value: string): RollupRow {
  return {
    hour,
    dimension,
    value,
    requests: 0,
    errors: 0,
    cacheHits: 0,
    promptTokens: 0,
    completionTokens: 0,
    cachedTokens: 0,
    reasoningTokens: 0,
    cost: 0,
    latencyMsSum: 0,
    latencyHistogram: new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0),
  };
}

/**
 * What a record's rollup reads: a fold may hand over just these fields (the SQLite journal reads
 * only their columns), and a whole UsageRecord is one.
 */
export type RollupInput = Pick<
  UsageRecord,
  | 'startedAt'
  | 'keyId'
  | 'userId'
  | 'modelServed'
  | 'modelAsked'
  | 'channel'
  | 'status'
  | 'cacheHit'
  | 'cost'
  | 'latencyMs'
> & {
  readonly usage: Pick<
    TokenUsage,
    'promptTokens' | 'completionTokens' | 'cachedTokens' | 'reasoningTokens'
  > | null;
};

/** The dimension values one record counts under. */
export function dimensionsOf(record: RollupInput): [RollupDimension, string][] {
  const out: [RollupDimension, string][] = [];
  eachDimension(record, (dimension, value) => out.push([dimension, value]));
  return out;
}

/** Calls `visit` with each dimension value the record counts under, in dimensionsOf's order. */
export function eachDimension(
  record: RollupInput,
  visit: (dimension: RollupDimension, value: string) => void,
): void {
  visit('all', '*');
  if (record.keyId) visit('key', record.keyId);
  if (record.userId) visit('user', record.userId);
  const model = record.modelServed ?? record.modelAsked;
  if (model) visit('model', model);
  if (record.channel) visit('channel', record.channel);
}

export function addRows(a: RollupRow, b: RollupRow): RollupRow {
  return {
    ...a,
    requests: a.requests + b.requests,
    errors: a.errors + b.errors,
    cacheHits: a.cacheHits + b.cacheHits,
    promptTokens: a.promptTokens + b.promptTokens,
    completionTokens: a.completionTokens + b.completionTokens,
    cachedTokens: a.cachedTokens + b.cachedTokens,
    reasoningTokens: a.reasoningTokens + b.reasoningTokens,
    cost: roundCost(a.cost + b.cost),
    latencyMsSum: a.latencyMsSum + b.latencyMsSum,
    latencyHistogram: a.latencyHistogram.map((n, i) => n + (b.latencyHistogram[i] ?? 0)),
  };
}

/** Rollup rows summed into one per (hour, dimension, value): what one upsert statement may hold. */
export function sumRollups(rows: readonly RollupRow[]): RollupRow[] {
  const out = new Map<string, RollupRow>();
  for (const row of rows) {
    const id = `${row.hour}\u0000${row.dimension}\u0000${row.value}`;
    const seen = out.get(id);
    out.set(id, seen ? addRows(seen, row) : row);
  }
  return [...out.values()];
}

/** Client-closed requests (499) failed no one: they stay out of error counts and error rates. */
export const CLIENT_CLOSED_STATUS = 499;

export function countsAsError(status: number): boolean {
  return status >= 400 && status !== CLIENT_CLOSED_STATUS;
}

/** One record's contribution to a rollup row. */
export function rowOfRecord(record: RollupInput, dimension: RollupDimension, value: string): RollupRow {
  const row = emptyRollup(hourOf(record.startedAt), dimension, value);
  const histogram = [...row.latencyHistogram];
  histogram[latencyBucket(record.latencyMs)] = 1;
  return {
    ...row,
    requests: 1,
    errors: countsAsError(record.status) ? 1 : 0,
    cacheHits: record.cacheHit ? 1 : 0,
    promptTokens: record.usage?.promptTokens ?? 0,
    completionTokens: record.usage?.completionTokens ?? 0,
    cachedTokens: record.usage?.cachedTokens ?? 0,
    reasoningTokens: record.usage?.reasoningTokens ?? 0,
    cost: record.cost ?? 0,
    latencyMsSum: record.latencyMs,
    latencyHistogram: histogram,
  };
}

/**
 * Folds a batch into rollup deltas, one per (hour, dimension, value), in the order their first
 * record reaches them. Each delta is one fresh row that the batch's records are added into in
 * place: the rollup runs for every request the gateway serves, and a copied row and histogram per
 * record and dimension was most of its cost; the rows are found through a map per hour and
 * dimension, keyed by the value alone, so a record allocates nothing (no key string, no list of
 * its dimensions). The sums are the ones `addRows` would make, in the same order (costs rounded at
 * each step).
 */
export function rollupBatch(records: readonly RollupInput[]): RollupRow[] {
  const out: MutableRollup[] = [];
  const hours = new Map<number, HourRows>();
  // The record being folded, for the one visitor of the batch (no closure per record).
  let record: RollupInput | null = null;
  let rows: HourRows | null = null;
  let bucket = 0;
  const add = (dimension: RollupDimension, value: string) => {
    if (record === null || rows === null) return;
    const byValue = rows[dimension];
    let row = byValue.get(value);
    const first = row === undefined;
    if (row === undefined) {
      row = emptyRollup(hourOf(record.startedAt), dimension, value) as MutableRollup;
      byValue.set(value, row);
      out.push(row);
    }
    const usage = record.usage;
    row.requests += 1;
    row.errors += countsAsError(record.status) ? 1 : 0;
    row.cacheHits += record.cacheHit ? 1 : 0;
    row.promptTokens += usage?.promptTokens ?? 0;
    row.completionTokens += usage?.completionTokens ?? 0;
    row.cachedTokens += usage?.cachedTokens ?? 0;
    row.reasoningTokens += usage?.reasoningTokens ?? 0;
    // As addRows: a first record's cost as it is, every sum rounded.
    row.cost = first ? (record.cost ?? 0) : roundCost(row.cost + (record.cost ?? 0));
    row.latencyMsSum += record.latencyMs;
    row.latencyHistogram[bucket] = (row.latencyHistogram[bucket] ?? 0) + 1;
  };
  for (const next of records) {
    const hour = hourOf(next.startedAt);
    let hourRows = hours.get(hour);
    if (hourRows === undefined) {
      hourRows = { all: new Map(), key: new Map(), user: new Map(), model: new Map(), channel: new Map() };
      hours.set(hour, hourRows);
    }
    record = next;
    rows = hourRows;
    bucket = latencyBucket(next.latencyMs);
    eachDimension(next, add);
  }
  return out;
}

/** One hour's delta rows of a batch, by dimension, then value. */
type HourRows = Record<RollupDimension, Map<string, MutableRollup>>;

/** A rollup row being summed into (rollupBatch owns it until it returns). */
type MutableRollup = { -readonly [K in keyof RollupRow]: RollupRow[K] } & { latencyHistogram: number[] };

/** Costs are summed in floating point; rounding to 1e-9 keeps sums equal however they group. */
export function roundCost(value: number): number {
  return Math.round(value * 1e9) / 1e9;
}

/**
 * The upper bound of the bucket holding the p-th percentile (0 < p <= 1); null when empty.
 * The open last bucket reports the last bound, read as "at least".
 */
export function percentileFromHistogram(histogram: readonly number[], p: number): number | null {
  const total = histogram.reduce((sum, n) => sum + n, 0);
  if (total === 0) return null;
  const rank = Math.ceil(total * p);
  let seen = 0;
  for (let i = 0; i < histogram.length; i++) {
    seen += histogram[i] ?? 0;
    if (seen >= rank) return LATENCY_BUCKETS_MS[Math.min(i, LATENCY_BUCKETS_MS.length - 1)] ?? null;
  }
  return LATENCY_BUCKETS_MS[LATENCY_BUCKETS_MS.length - 1] ?? null;
}
