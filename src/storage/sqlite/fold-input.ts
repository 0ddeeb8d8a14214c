import type { RollupInput } from '../../usage/rollup.js';

/** The columns of a usage row that the rollups sum or group by. */
export const FOLD_COLUMNS = [
  'started_at',
  'key_id',
  'user_id',
  'model_served',
  'model_asked',
  'channel',
  'status',
  'cache_hit',
  'cost',
  'latency_ms',
  'prompt_tokens',
  'completion_tokens',
  'cached_tokens',
  'reasoning_tokens',
] as const;

/**
 * Reads what the rollups need off a row read as an array (better-sqlite3's `raw` mode) whose
 * columns are `columns`: a row object of every column, and the record made of it, cost about
 * 10 µs a row, more than the row's insert. The rollups sum an absent token count as 0.
 */
export function foldInputReader(columns: readonly string[]): (row: readonly unknown[]) => RollupInput {
  const at = (column: (typeof FOLD_COLUMNS)[number]): number => {
    const index = columns.indexOf(column);
    if (index < 0) throw new Error(`the fold needs the column ${column}`);
    return index;
  };
  const [startedAt, keyId, userId, modelServed, modelAsked, channel, status, cacheHit, cost, latencyMs] = [
    at('started_at'),
    at('key_id'),
    at('user_id'),
    at('model_served'),
    at('model_asked'),
    at('channel'),
    at('status'),
    at('cache_hit'),
    at('cost'),
    at('latency_ms'),
  ] as const;
  const [prompt, completion, cached, reasoning] = [
    at('prompt_tokens'),
    at('completion_tokens'),
    at('cached_tokens'),
    at('reasoning_tokens'),
  ] as const;
  const tokens = (value: unknown) => (value as number | null) ?? 0;
  const text = (value: unknown) => value as string | null;
  return (row) => ({
    startedAt: row[startedAt] as number,
    keyId: text(row[keyId]),
    userId: text(row[userId]),
    modelServed: text(row[modelServed]),
    modelAsked: text(row[modelAsked]),
    channel: text(row[channel]),
    status: row[status] as number,
    cacheHit: row[cacheHit] === 1,
    cost: row[cost] as number | null,
    latencyMs: row[latencyMs] as number,
    usage: {
      promptTokens: tokens(row[prompt]),
      completionTokens: tokens(row[completion]),
      cachedTokens: tokens(row[cached]),
      reasoningTokens: tokens(row[reasoning]),
    },
  });
}
