import type { LimitsConfig } from '../config/accounting-schema.js';
import { hasAnyLimit, type LimitSubject } from '../limits/limit-values.js';
import { largestOutputLimit } from '../providers/shared/output-limit.js';
import type { Channel } from '../spec/channel.js';
import { isJsonObject, type JsonObject, type JsonValue } from '../spec/json.js';
import type { Principal } from '../spec/principal.js';
import type { Operation } from '../spec/provider.js';
import type { UsageRecord } from '../spec/usage.js';
import { computeCost } from '../usage/cost.js';
import { estimatePromptTokens } from '../usage/estimate-usage.js';
import { limitSubjects, type RequestAccounting } from './request-accounting.js';

/** A channel that may serve the request, and the model name it would be sent under. */
export interface PricedTarget {
  readonly channel: Channel;
  readonly upstreamModel: string;
}

export interface Admitted {
  /** Rate-limit headers for every answer to this request. */
  readonly headers: Readonly<Record<string, string>>;
  /** Settles the reservation to the record's real tokens and cost (deferred by the caller). */
  readonly settle: ((record: UsageRecord) => Promise<void>) | null;
}

/**
 * Reserves the request against every limit of its key and user before any upstream call.
 * Throws the 429 when a limit is reached.
 */
export async function reserveLimits(
  acc: RequestAccounting,
  principal: Principal,
  operation: Operation,
  json: JsonObject | null,
  model: string | null,
  /**
   * The channels (and upstream model names) that may serve the request, asked only when a token
   * or cost limit applies: their output caps bound the reserved output, and the dearest of their
   * prices (a channel's own wins) prices it. None: the model's price in the gateway's table.
   */
  targets: () => readonly PricedTarget[] = () => [],
): Promise<Admitted> {
  const subjects = limitedSubjects(principal, acc.limits);
  if (subjects.length === 0) return NOT_LIMITED;
  const metered = subjects.some((s) => s.limits.tpm !== null || s.limits.budget !== null);
  let tokens = 0;
  let cost = 0;
  if (metered) {
    const prompt = estimatePromptTokens(acc.estimator, json, model, true, principal.userId).tokens;
    // Each choice (OpenAI `n`, Gemini `candidateCount`) is billed for its own output.
    const candidates = targets();
    // The gateway sends no target more than its cap, so none can be billed more.
    const asked = maxOutputTokens(json) ?? defaultOutputReserve(operation, acc.limits.default_output_reserve);
    const cap = model === null ? undefined : largestOutputLimit(candidates, model);
    const output = Math.min(asked, cap ?? asked) * choiceCount(json);
    tokens = prompt + output;
    const usage = { promptTokens: prompt, completionTokens: output, totalTokens: tokens };
    const prices =
      candidates.length > 0
        ? candidates.map((t) => acc.prices.lookup([t.upstreamModel, model], t.channel.name))
        : [model ? acc.prices.lookup(model) : null];
    for (const price of prices) if (price) cost = Math.max(cost, computeCost(usage, price));
  }
  const reservation = await acc.limiter.reserve({ subjects, tokens, cost });
  return {
    headers: reservation.headers,
    settle: (record) => reservation.settle({ tokens: record.usage?.totalTokens ?? 0, cost: record.cost }),
  };
}

/** What a request no limit applies to is admitted with. */
const NOT_LIMITED: Admitted = { headers: {}, settle: null };

/**
 * The key's and user's subjects that have a limit. A principal is the authenticator's cached
 * object for its key (a change to the key or its user makes a new one), so they are merged once
 * per principal and limits config, not on every request.
 */
function limitedSubjects(principal: Principal, config: LimitsConfig): readonly LimitSubject[] {
  const known = subjectsByPrincipal.get(principal);
  if (known?.config === config) return known.subjects;
  const subjects = limitSubjects(principal, config).filter((s) => hasAnyLimit(s.limits));
  subjectsByPrincipal.set(principal, { config, subjects });
  return subjects;
}

const subjectsByPrincipal = new WeakMap<
  Principal,
  { readonly config: LimitsConfig; readonly subjects: readonly LimitSubject[] }
>();

/**
 * The output reserved when the request names no cap: chat and completions generate text;
 * an embedding generates none, and a pass-through call (moderations, images, audio, rerank …)
 * is not billed for output tokens unless it names a cap.
 */
function defaultOutputReserve(operation: Operation, reserve: number): number {
  return operation === 'chat' || operation === 'completions' ? reserve : 0;
}

function maxOutputTokens(json: JsonObject | null): number | null {
  const gemini = geminiConfig(json);
  const value =
    json?.max_completion_tokens ??
    json?.max_tokens ??
    json?.max_output_tokens ??
    gemini?.maxOutputTokens ??
    gemini?.max_output_tokens;
  return typeof value === 'number' && value > 0 ? value : null;
}

/**
 * How many answers the request has generated: each is generated, and billed, on its own. A
 * legacy completion's `best_of` generates that many and returns the best `n` of them.
 */
function choiceCount(json: JsonObject | null): number {
  const gemini = geminiConfig(json);
  const value = json?.n ?? gemini?.candidateCount ?? gemini?.candidate_count;
  return Math.max(wholeCount(value), wholeCount(json?.best_of));
}

function wholeCount(value: JsonValue | undefined): number {
  return typeof value === 'number' && Number.isInteger(value) && value > 1 ? value : 1;
}

/** Gemini's `generationConfig`, by its JSON or its proto name (Gemini's REST API takes either). */
function geminiConfig(json: JsonObject | null): JsonObject | undefined {
  const config = json?.generationConfig ?? json?.generation_config;
  return isJsonObject(config) ? config : undefined;
}
