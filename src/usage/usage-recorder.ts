import type { JsonObject } from '../spec/json.js';
import type { AttemptRecord, TokenUsage, UsageRecord, UsageSink } from '../spec/usage.js';
import { computeCost } from './cost.js';
import { estimateUsage } from './estimate-usage.js';
import type { PriceTable } from './prices.js';
import type { TokenCounter } from './token-counter.js';

/** What turns counts into a costed record; without it records carry counts only. */
export interface UsageAccounting {
  readonly prices: PriceTable;
  readonly estimator: TokenCounter;
}

/** Where a complete answer goes to be cached (set by the cache on a miss). */
export interface ResponseCapture {
  /** Larger answers are not captured. */
  readonly maxBytes: number;
  readonly store: (captured: {
    status: number;
    contentType: string;
    body: Uint8Array;
    stream: boolean;
  }) => void;
}

/** Errors that end a stream the upstream had started: the text so far is a partial count. */
const BROKEN_STREAM = new Set([
  'client_closed',
  'upstream_stream_error',
  'upstream_timeout',
  'shutting_down',
]);

/**
 * Collects one request's usage as it happens and emits exactly one record, on the first
 * `finish` — later calls are ignored, so every exit path may call it safely.
 */
export class UsageRecorder {
  private finished = false;
  private readonly finishHooks: ((record: UsageRecord) => void)[] = [];
  readonly record: UsageRecord;
  /** The parsed request body, for estimating prompt tokens when the upstream reports none. */
  requestJson: JsonObject | null = null;
  /** Headers every response to this request carries (rate limits, cache status). */
  readonly responseHeaders: Record<string, string> = {};
  /** The gateway asked the upstream for a stream usage chunk the client did not ask for. */
  stripStreamUsage = false;
  /** Set when a complete answer should be stored in the response cache. */
  captureResponse: ResponseCapture | null = null;

  constructor(
    private readonly sink: UsageSink,
    private readonly now: () => number,
    init: { requestId: string; operation: string },
    private readonly accounting: UsageAccounting | null = null,
  ) {
    this.record = {
      requestId: init.requestId,
      startedAt: now(),
      keyId: null,
      userId: null,
      operation: init.operation,
      modelAsked: null,
      modelServed: null,
      channel: null,
      upstreamKey: null,
      stream: false,
      status: 0,
      errorCode: null,
      usage: null,
      countSource: null,
      cost: null,
      prices: null,
      cacheHit: false,
      firstByteMs: null,
      latencyMs: 0,
      attempts: [],
    };
  }

  /** True once a streamed response has taken over the duty to finish. */
  deferred = false;

  get isFinished(): boolean {
    return this.finished;
  }

  addAttempt(attempt: AttemptRecord): void {
    this.record.attempts.push(attempt);
  }

  /** Runs after the record is emitted (limit settlement, cache store); errors are contained. */
  onFinish(hook: (record: UsageRecord) => void): void {
    this.finishHooks.push(hook);
  }

  /**
   * `completionText` is the generated text the client received, used only when `usage` is null
   * and an upstream did answer: the counts are then estimated (`partial` if the stream broke).
   */
  finish(
    status: number,
    errorCode: string | null,
    usage: TokenUsage | null = null,
    completionText: string | null = null,
  ): void {
    if (this.finished) return;
    this.finished = true;
    const record = this.record;
    record.status = status;
    record.errorCode = errorCode;
    record.latencyMs = this.now() - record.startedAt;
    // A request every attempt of which failed is counted under the channel it tried last.
    if (record.channel === null) record.channel = record.attempts.at(-1)?.channel ?? null;
    this.count(usage, completionText);
    this.sink(record);
    for (const hook of this.finishHooks) {
      try {
        hook(record);
      } catch {
        // A hook must not break the response; its own code logs what it needs.
      }
    }
  }

  private count(usage: TokenUsage | null, completionText: string | null): void {
    const record = this.record;
    if (record.cacheHit) {
      // Served from the cache: no upstream call, nothing to pay.
      record.usage = null;
      record.cost = 0;
      return;
    }
    if (usage) {
      record.usage = usage;
      record.countSource = 'upstream';
    } else if (this.accounting && record.firstByteMs !== null && record.operation !== 'passthrough') {
      // An upstream answered but reported no usage: count with the tokenizer.
      const model = record.modelServed ?? record.modelAsked;
      const estimate = estimateUsage(
        this.accounting.estimator,
        this.requestJson,
        completionText ?? '',
        model,
      );
      record.usage = estimate.usage;
      record.countSource =
        record.errorCode && BROKEN_STREAM.has(record.errorCode)
          ? 'partial'
          : estimate.method === 'heuristic'
            ? 'estimated-heuristic'
            : 'estimated';
    }
    if (!this.accounting) return;
    if (!record.usage) {
      record.cost = 0;
      return;
    }
    const model = record.modelServed ?? record.modelAsked;
    const price = model ? this.accounting.prices.lookup(model, record.channel) : null;
    if (price) {
      record.prices = { ...price };
      record.cost = computeCost(record.usage, price);
    }
  }
}
