import type { JsonObject } from '../spec/json.js';
import type { AttemptRecord, TokenUsage, UsageRecord } from '../spec/usage.js';
import { blankUsageRecord } from '../usage/blank-record.js';
import { computeCost } from '../usage/cost.js';
import { estimateUsage } from '../usage/estimate-usage.js';
import { isPlausibleUsage } from '../usage/plausible-usage.js';
import type { PriceTable } from '../usage/prices.js';
import type { TokenCounter } from '../usage/token-counter.js';

/** What turns counts into a costed record; without it records carry counts only. */
export interface UsageAccounting {
  readonly prices: PriceTable;
  readonly estimator: TokenCounter;
}

/**
 * What happens to one request, as immutable facts, in the order they happen. The front door,
 * the router and the response stream each emit what they know; nobody writes the record.
 */
export type UsageEvent =
  | {
      readonly type: 'decoded';
      readonly model: string | null;
      readonly stream: boolean;
      readonly json: JsonObject | null;
      /** False when no model generates the answer: nothing is estimated for it. Absent: true. */
      readonly generated?: boolean;
    }
  | { readonly type: 'principal'; readonly keyId: string; readonly userId: string }
  | { readonly type: 'attempt'; readonly attempt: AttemptRecord }
  | { readonly type: 'cache-hit' }
  | {
      readonly type: 'commit';
      readonly channel: string;
      readonly modelServed: string | null;
      /** The model the channel was chosen for (after aliases): its price when the served name has none. */
      readonly modelRouted: string | null;
      readonly upstreamKey: string | null;
      readonly firstByteMs: number;
    }
  | ({ readonly type: 'counted' } & Counts)
  | { readonly type: 'end'; readonly status: number; readonly errorCode: string | null; readonly at: number };

/** What an answer says of its tokens, for the record. */
export interface Counts {
  /** The counts the upstream reported, in any shape usage-scan.ts reads; null when none. */
  readonly usage: TokenUsage | null;
  /** What the client received, for an estimate of what `usage` does not count. */
  readonly completionText: string | null;
  /**
   * False when `usage` counts the input only (an Anthropic stream cut short after
   * `message_start`): the output is estimated from `completionText`. Absent: true.
   */
  readonly outputCounted?: boolean;
}

export interface UsageTap {
  emit(event: UsageEvent): void;
  /**
   * Emits the counts (when given) and the end; only the first end counts. Returns the record's
   * durable write when there is one to wait for (the journal's commit; never rejects): the
   * answer's last bytes go out after it. A later call returns the same write.
   */
  end(status: number, errorCode: string | null, counts?: Counts): Promise<void> | undefined;
  /** A streamed response takes over the duty to end the record when the stream ends. */
  handOver(): void;
  /**
   * Whether a streamed response took over. A method, not a getter: V8 keeps an object literal
   * with an accessor (and what it references) alive through scavenges until a full GC, and a
   * tap per request made every request's scope old-space garbage (bench/README.md, gc-stats).
   */
  handedOver(): boolean;
}

/** Errors that end a stream the upstream had started: the text so far is a partial count. */
const BROKEN_STREAM = new Set([
  'client_closed',
  'upstream_stream_error',
  'upstream_timeout',
  'shutting_down',
]);

/** Collects one request's events and builds exactly one record from them, at the first end. */
export function createUsageTap(init: {
  readonly requestId: string;
  /** The record's identity (UsageRecord.entry). */
  readonly entry?: string;
  readonly operation: string;
  readonly now: () => number;
  readonly accounting: UsageAccounting | null;
  /** Receives the record; returns its durable write (never rejecting) when there is one. */
  readonly onRecord: (record: UsageRecord) => Promise<void> | undefined;
  /**
   * What is known once the request is committed to an upstream (a provisional record, for the
   * crash-safe journal). Called a microtask after the commit, and not at all when the request
   * ended by then: a buffered answer ends at once, so it costs one journal write, not two.
   */
  readonly onOpen?: (record: UsageRecord) => void;
  /**
   * A request still waiting on its upstream this long after it was decoded gets its provisional
   * record then, so a crash while it waits leaves an `interrupted` row. Quick answers (most
   * errors, cache hits, fast upstreams) end first and never pay for the extra write.
   */
  readonly openAfterMs?: number;
}): UsageTap {
  const startedAt = init.now();
  const events: UsageEvent[] = [];
  let ended = false;
  let opened = false;
  let handedOver = false;
  let waiting: ReturnType<typeof setTimeout> | null = null;
  let written: Promise<void> | undefined;
  const open = () => {
    if (ended || opened || !init.onOpen) return;
    opened = true;
    init.onOpen(buildUsageRecord(init, startedAt, events, null));
  };
  const tap: UsageTap = {
    emit(event) {
      if (ended) return;
      events.push(event);
      if (init.onOpen) {
        if (event.type === 'commit') queueMicrotask(open);
        else if (event.type === 'decoded' && init.openAfterMs !== undefined && waiting === null)
          waiting = setTimeout(open, init.openAfterMs);
      }
      if (event.type !== 'end') return;
      ended = true;
      if (waiting !== null) clearTimeout(waiting);
      let record: UsageRecord;
      try {
        record = buildUsageRecord(init, startedAt, events, init.accounting);
      } catch {
        // Counting failed (a bug, or an estimate on a body nobody foresaw): the request still
        // gets its one record, with what is known for certain, so its limits are settled.
        record = buildUsageRecord(init, startedAt, withoutCounts(events), null);
      }
      written = init.onRecord(record);
    },
    end(status, errorCode, counts) {
      if (ended) return written;
      if (counts && (counts.usage || counts.completionText !== null))
        tap.emit({ type: 'counted', ...counts });
      tap.emit({ type: 'end', status, errorCode, at: init.now() });
      return written;
    },
    handOver() {
      handedOver = true;
    },
    handedOver() {
      return handedOver;
    },
  };
  return tap;
}

/** Folds a request's events into its usage record: counts, estimate and cost. */
export function buildUsageRecord(
  init: { readonly requestId: string; readonly entry?: string; readonly operation: string },
  startedAt: number,
  events: readonly UsageEvent[],
  accounting: UsageAccounting | null,
): UsageRecord {
  const record: UsageRecord = blankUsageRecord(init.requestId, init.operation, startedAt);
  if (init.entry) record.entry = init.entry;
  let json: JsonObject | null = null;
  let counted: Extract<UsageEvent, { type: 'counted' }> | null = null;
  let routedModel: string | null = null;
  let generated = true;
  for (const event of events) {
    switch (event.type) {
      case 'decoded':
        record.modelAsked = event.model;
        record.stream = event.stream;
        json = event.json;
        generated = event.generated ?? true;
        break;
      case 'principal':
        record.keyId = event.keyId;
        record.userId = event.userId;
        break;
      case 'attempt':
        record.attempts.push(event.attempt);
        break;
      case 'cache-hit':
        record.cacheHit = true;
        break;
      case 'commit':
        record.channel = event.channel;
        record.modelServed = event.modelServed;
        routedModel = event.modelRouted;
        record.upstreamKey = event.upstreamKey;
        record.firstByteMs = event.firstByteMs;
        break;
      case 'counted':
        counted = event;
        break;
      case 'end':
        record.status = event.status;
        record.errorCode = event.errorCode;
        record.latencyMs = event.at - startedAt;
        break;
    }
  }
  // A request every attempt of which failed is counted under the channel it tried last.
  if (record.channel === null) record.channel = record.attempts.at(-1)?.channel ?? null;
  count(record, json, counted, accounting, routedModel, generated);
  return record;
}

function count(
  record: UsageRecord,
  json: JsonObject | null,
  counted: Extract<UsageEvent, { type: 'counted' }> | null,
  accounting: UsageAccounting | null,
  routedModel: string | null,
  /**
   * False when no model generated the answer (a pass-through call on the account's resources):
   * without reported usage it counts nothing, its text being a listing or a resource, not output.
   */
  generated: boolean,
): void {
  if (record.cacheHit) {
    // Served from the cache: no upstream call, nothing to pay.
    record.cost = 0;
    return;
  }
  const reported = counted?.usage && isPlausibleUsage(counted.usage) ? counted.usage : null;
  if (reported && counted?.outputCounted !== false) {
    record.usage = reported;
    record.countSource = 'upstream';
  } else if (accounting && record.firstByteMs !== null && generated) {
    // An upstream answered but reported no usage, or counts that are not token counts: count
    // with the tokenizer.
    const model = record.modelServed ?? record.modelAsked;
    const partial = record.errorCode !== null && BROKEN_STREAM.has(record.errorCode);
    // A partial count is rough anyway: it does not load the tokenizer (a stall of every stream
    // in flight, e.g. when a load generator cuts its streams), only uses it once loaded.
    const estimate = estimateUsage(
      accounting.estimator,
      json,
      counted?.completionText ?? '',
      model,
      !partial,
      record.userId ?? undefined,
    );
    // The upstream counted the input (an Anthropic stream cut short): only the output is estimated.
    record.usage = reported ? withEstimatedOutput(reported, estimate.usage.completionTokens) : estimate.usage;
    record.countSource = partial
      ? 'partial'
      : estimate.method === 'heuristic'
        ? 'estimated-heuristic'
        : 'estimated';
  }
  if (!accounting) return;
  if (!record.usage) {
    record.cost = 0;
    return;
  }
  // The name served upstream first; a model_map rename (an Azure deployment) falls back to the
  // model the channel was chosen for, then the one asked for.
  const price = accounting.prices.lookup(
    [record.modelServed, routedModel, record.modelAsked],
    record.channel,
  );
  if (price) {
    record.prices = { ...price };
    record.cost = computeCost(record.usage, price);
  }
}

/** The upstream's input counts (cache reads and writes included) with an estimated output. */
function withEstimatedOutput(input: TokenUsage, completionTokens: number): TokenUsage {
  const { reasoningTokens: _placeholder, ...counted } = input;
  return { ...counted, completionTokens, totalTokens: input.promptTokens + completionTokens };
}

/** The events without what would be counted (usage, text): enough for a record of the exit. */
function withoutCounts(events: readonly UsageEvent[]): UsageEvent[] {
  return events.filter((event) => event.type !== 'counted');
}
