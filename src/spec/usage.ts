/** Token counts for one request, as reported by the upstream. */
export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  cachedTokens?: number;
  /** Prompt tokens written to the provider's cache (Anthropic cache creation). */
  cacheWriteTokens?: number;
  /**
   * Of `cacheWriteTokens`, those written with Anthropic's 1-hour TTL, billed at a higher rate.
   * Priced when the record is made; not a column of the usage tables.
   */
  cacheWrite1hTokens?: number;
  reasoningTokens?: number;
}

/**
 * Where a record's token counts came from: the upstream's own usage, an estimate with a
 * tokenizer (the upstream gave none, or numbers that are not token counts:
 * src/usage/plausible-usage.ts), the same with the ~4-characters-a-token heuristic
 * (`estimated-heuristic`: the runtime has no tokenizer, or it was still loading), or an estimate
 * of a stream that broke off (`partial`).
 */
export type CountSource = 'upstream' | 'estimated' | 'estimated-heuristic' | 'partial';

/** The prices (per 1M tokens) a record was costed with, kept so a bill can be explained. */
export interface PricesUsed {
  input: number;
  output: number;
  cachedInput?: number;
  cacheWrite?: number;
  cacheWrite1h?: number;
  reasoning?: number;
  currency: string;
}

export interface AttemptRecord {
  channel: string;
  /** Index of the upstream key inside the channel; never the key itself. */
  keyIndex: number;
  status: number | null;
  error?: string;
  latencyMs: number;
  /**
   * The upstream's own id for its answer to this attempt (its `x-request-id`, or Anthropic's
   * `request-id`; src/router/upstream-request-id.ts), for the provider's support: also of an
   * attempt that failed. Absent when it sent none usable, or no answer came.
   */
  upstreamRequestId?: string;
}

/** Exactly one of these is produced per client request, whatever the exit. */
export interface UsageRecord {
  /** The client's x-request-id (or one made for it): not unique, a client may reuse it. */
  requestId: string;
  startedAt: number;
  /**
   * The record's identity, made by the gateway for each request (a UUID): what a retried batch
   * is deduplicated by. Absent on records from producers older than it, which are identified
   * by request id and start time instead.
   */
  entry?: string;
  keyId: string | null;
  userId: string | null;
  operation: string;
  modelAsked: string | null;
  modelServed: string | null;
  channel: string | null;
  /** The upstream key that served it, masked (never the key). */
  upstreamKey: string | null;
  stream: boolean;
  status: number;
  errorCode: string | null;
  usage: TokenUsage | null;
  countSource: CountSource | null;
  /** null when no price is known for the served model. */
  cost: number | null;
  prices: PricesUsed | null;
  cacheHit: boolean;
  firstByteMs: number | null;
  latencyMs: number;
  attempts: AttemptRecord[];
}

/** Receives each finished record; the promise settles when it is safely handed on (deferred). */
export type UsageSink = (record: UsageRecord) => Promise<void>;
