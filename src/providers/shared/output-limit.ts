import type { Channel } from '../../spec/channel.js';
import type { ChatRequest } from '../../spec/chat.js';
import { isJsonObject, type JsonObject } from '../../spec/json.js';
import type { UpstreamCall } from '../../spec/provider.js';
import { KNOWN_OUTPUT_LIMITS } from '../model-limits.js';
import { createModelLookup } from './model-lookup.js';

const known = createModelLookup(KNOWN_OUTPUT_LIMITS);
const channelLookups = new WeakMap<object, (model: string) => number | undefined>();

/** The output-token cap for this attempt: the channel's own, else the built-in table's, else none. */
export function outputLimit(call: UpstreamCall): number | undefined {
  const clientModel = typeof call.json?.model === 'string' ? call.json.model : undefined;
  return channelOutputLimit(call.target.channel, call.target.upstreamModel, clientModel);
}

/**
 * The most output any of these targets can give for one answer, or undefined when one of them
 * has no cap: what a limit reservation need hold at most, whichever target answers.
 */
export function largestOutputLimit(
  targets: readonly { readonly channel: Channel; readonly upstreamModel: string }[],
  clientModel: string,
): number | undefined {
  let largest = 0;
  for (const target of targets) {
    const limit = channelOutputLimit(target.channel, target.upstreamModel, clientModel);
    if (limit === undefined) return undefined;
    largest = Math.max(largest, limit);
  }
  return targets.length > 0 ? largest : undefined;
}

function channelOutputLimit(
  channel: Channel,
  upstreamModel: string,
  clientModel?: string,
): number | undefined {
  const table = channel.maxOutputTokens;
  if (table) {
    let lookup = channelLookups.get(table);
    if (!lookup) {
      lookup = createModelLookup(table);
      channelLookups.set(table, lookup);
    }
    const own = lookup(upstreamModel) ?? (clientModel ? lookup(clientModel) : undefined);
    if (own !== undefined) return own;
  }
  // Aggregators and Gemini prefix the name (`deepseek/deepseek-chat`, `models/gemini-2.5-pro`).
  return known(upstreamModel) ?? known(upstreamModel.slice(upstreamModel.lastIndexOf('/') + 1));
}

/** The canonical request with its output (and a thinking budget inside it) within `limit`. */
export function clampRequest(request: ChatRequest, limit: number | undefined): ChatRequest {
  if (limit === undefined || request.maxTokens === undefined || request.maxTokens <= limit) return request;
  const budget = request.reasoning?.budgetTokens;
  // A thinking budget must stay below max_tokens (Anthropic): shrink it with the cap.
  const reasoning =
    request.reasoning && budget !== undefined && budget >= limit
      ? { ...request.reasoning, budgetTokens: budgetWithin(limit) }
      : request.reasoning;
  return { ...request, maxTokens: limit, ...(reasoning ? { reasoning } : {}) };
}

/** Output-token fields of the OpenAI chat / completions / Responses and Anthropic bodies. */
const LIMIT_FIELDS = ['max_tokens', 'max_completion_tokens', 'max_output_tokens'] as const;

/**
 * The client's own body for a same-format upstream: its exact bytes unless the model name must
 * change (`model`, when given) or it asks for more output than the cap, then re-encoded.
 */
export function nativeBody(call: UpstreamCall, model?: string): string | ArrayBuffer | null {
  const { json, rawBody } = call;
  if (!json) return rawBody;
  const limit = outputLimit(call);
  const changes: JsonObject = {};
  if (model !== undefined && typeof json.model === 'string' && json.model !== model) changes.model = model;
  if (limit !== undefined) {
    for (const field of LIMIT_FIELDS) {
      const value = json[field];
      if (typeof value === 'number' && value > limit) changes[field] = limit;
    }
    // An Anthropic thinking budget must stay below max_tokens: lowered with it, as clampRequest does.
    const thinking = json.thinking;
    if (
      changes.max_tokens !== undefined &&
      isJsonObject(thinking) &&
      typeof thinking.budget_tokens === 'number' &&
      thinking.budget_tokens >= limit
    )
      changes.thinking = { ...thinking, budget_tokens: budgetWithin(limit) };
  }
  return Object.keys(changes).length > 0 ? JSON.stringify({ ...json, ...changes }) : rawBody;
}

/** A thinking budget that leaves room for the answer under an output cap: half of it. */
function budgetWithin(limit: number): number {
  return Math.max(1, Math.floor(limit / 2));
}
