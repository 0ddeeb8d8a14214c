import { isJsonObject, type JsonObject, type JsonValue } from '../spec/json.js';
import type { TokenUsage } from '../spec/usage.js';

/**
 * Reads token usage out of upstream answers whatever shape they speak, so that a pass-through
 * (which does not know the upstream's protocol) is metered like a decoded answer:
 * - OpenAI `usage` (`prompt_tokens`, `completion_tokens`, details with cache reads and writes;
 *   DeepSeek's `prompt_cache_hit_tokens`; Moonshot's inside a stream's last choice);
 * - the Responses API's `usage` (`input_tokens`, `output_tokens`, cached and reasoning details),
 *   top level or inside `response.completed` and the other terminal `response.*` events;
 * - Anthropic Messages: `usage` on a message, `message_start` (input) and `message_delta` (output);
 * - Gemini `usageMetadata`.
 * Feed it every JSON body or SSE data object; the last complete report wins.
 */
export interface UsageScan {
  see(value: JsonObject): void;
  usage(): TokenUsage | null;
  /**
   * False while the only report is an Anthropic `message_start`: its input and cache counts are
   * exact, but its `output_tokens` is a placeholder (1) until `message_delta` reports the output.
   * A stream cut short before that has generated more than it says.
   */
  outputCounted(): boolean;
  /**
   * Whether the last object seen was an OpenAI usage-only stream chunk (`choices: []`, or no
   * `choices` at all as some OpenAI-compatible servers send it: `{"usage": {…}}`). A method:
   * a getter in the object literal would keep each request's scan alive through scavenges.
   */
  lastWasUsageOnly(): boolean;
}

export function createUsageScan(): UsageScan {
  let whole: TokenUsage | null = null;
  let started: TokenUsage | null = null;
  let delta: TokenUsage | null = null;
  let usageOnly = false;
  return {
    see(value) {
      usageOnly = false;
      if (value.type === 'message_start') {
        started = readInputOutputUsage(obj(value.message)?.usage) ?? started;
        return;
      }
      if (value.type === 'message_delta') {
        delta = readInputOutputUsage(value.usage) ?? delta;
        return;
      }
      const response = obj(value.response);
      if (typeof value.type === 'string' && value.type.startsWith('response.') && response) {
        whole = readInputOutputUsage(response.usage) ?? whole;
        return;
      }
      if (isJsonObject(value.usageMetadata)) {
        whole = readGeminiUsage(value.usageMetadata);
        return;
      }
      const found =
        readOpenAiUsage(value.usage) ?? readInputOutputUsage(value.usage) ?? choiceUsage(value.choices);
      if (found) {
        whole = found;
        // OpenAI sends `"choices": []`; some compatible servers leave the key out altogether.
        usageOnly =
          value.choices === undefined || (Array.isArray(value.choices) && value.choices.length === 0);
      }
    },
    usage() {
      if (whole) return whole;
      const start = started as TokenUsage | null;
      const end = delta as TokenUsage | null;
      if (!start && !end) return null;
      // message_delta repeats input counts only when they changed; otherwise message_start's stand.
      const input = end && end.promptTokens > 0 ? end : (start ?? end);
      const completionTokens = end?.completionTokens ?? start?.completionTokens ?? 0;
      if (!input) return null;
      const counted: TokenUsage = {
        ...input,
        completionTokens,
        totalTokens: input.promptTokens + completionTokens,
      };
      // message_delta repeats the cache counts but never their breakdown by TTL: the 1-hour part
      // is message_start's (never more than the writes the delta counts).
      const forAnHour = input.cacheWrite1hTokens ?? start?.cacheWrite1hTokens;
      if (forAnHour !== undefined)
        counted.cacheWrite1hTokens = Math.min(forAnHour, counted.cacheWriteTokens ?? forAnHour);
      return counted;
    },
    outputCounted() {
      return whole !== null || delta !== null || started === null;
    },
    lastWasUsageOnly() {
      return usageOnly;
    },
  };
}

/** Usage from a parsed JSON answer in any known shape; null when it has none. */
export function usageFromJson(answer: JsonObject): TokenUsage | null {
  const scan = createUsageScan();
  scan.see(answer);
  return scan.usage();
}

/** Usage from a whole JSON body in any known shape; null when it has none or is not JSON. */
export function usageFromBody(body: Uint8Array): TokenUsage | null {
  try {
    const parsed: unknown = JSON.parse(new TextDecoder().decode(body));
    return isJsonObject(parsed) ? usageFromJson(parsed) : null;
  } catch {
    return null;
  }
}

/**
 * Usage from the end of a JSON answer too large to be read whole (its start is cut off): the
 * last `"usage": {…}` object in the text that reads as usage in a known shape, or null.
 */
export function usageFromTail(tail: Uint8Array): TokenUsage | null {
  const text = new TextDecoder().decode(tail);
  for (let at = text.lastIndexOf(USAGE_KEY); at !== -1; at = text.lastIndexOf(USAGE_KEY, at - 1)) {
    const object = objectAt(text, at + USAGE_KEY.length);
    if (object === null) continue;
    try {
      const parsed: unknown = JSON.parse(object);
      if (!isJsonObject(parsed)) continue;
      const scan = createUsageScan();
      scan.see({ usage: parsed });
      const found = scan.usage();
      if (found) return found;
    } catch {
      // Not an object after all (a key inside a string value): look further back.
    }
  }
  return null;
}

const USAGE_KEY = '"usage"';

/** The JSON object text that follows `: ` from `from`, up to its closing brace; null if none. */
function objectAt(text: string, from: number): string | null {
  let i = from;
  while (text[i] === ' ' || text[i] === '\n' || text[i] === '\r' || text[i] === '\t') i++;
  if (text[i] !== ':') return null;
  i++;
  while (text[i] === ' ' || text[i] === '\n' || text[i] === '\r' || text[i] === '\t') i++;
  if (text[i] !== '{') return null;
  const start = i;
  let depth = 0;
  let inString = false;
  for (; i < text.length; i++) {
    const char = text[i];
    if (inString) {
      if (char === '\\') i++;
      else if (char === '"') inString = false;
    } else if (char === '"') inString = true;
    else if (char === '{') depth++;
    else if (char === '}' && --depth === 0) return text.slice(start, i + 1);
  }
  return null;
}

/** An OpenAI `usage` object (chat, completions, embeddings). */
export function readOpenAiUsage(usage: JsonValue | undefined): TokenUsage | null {
  if (!isJsonObject(usage) || typeof usage.prompt_tokens !== 'number') return null;
  const prompt = num(usage.prompt_tokens) ?? 0;
  const completion = num(usage.completion_tokens) ?? 0;
  const result: TokenUsage = {
    promptTokens: prompt,
    completionTokens: completion,
    totalTokens: num(usage.total_tokens) ?? prompt + completion,
  };
  // DeepSeek reports cache hits in its own field (with prompt_cache_miss_tokens beside it).
  const details = obj(usage.prompt_tokens_details);
  const cached = num(details?.cached_tokens) ?? num(usage.prompt_cache_hit_tokens);
  if (cached !== undefined) result.cachedTokens = cached;
  // Cache writes, as OpenAI-compatible gateways serving Claude report them (and as this gateway's
  // own OpenAI encoding writes them): billed at the cache-write price, not as plain input.
  const written = num(details?.cache_write_tokens);
  if (written !== undefined) result.cacheWriteTokens = written;
  const reasoning = num(obj(usage.completion_tokens_details)?.reasoning_tokens);
  if (reasoning !== undefined) result.reasoningTokens = reasoning;
  return result;
}

/**
 * `input_tokens` / `output_tokens`: the Responses API (input includes cached tokens, with
 * details) or Anthropic (input excludes cache reads and writes, which are counted separately).
 */
function readInputOutputUsage(value: JsonValue | undefined): TokenUsage | null {
  const usage = obj(value);
  if (!usage || (num(usage.input_tokens) === undefined && num(usage.output_tokens) === undefined))
    return null;
  const read = num(usage.cache_read_input_tokens);
  const write = num(usage.cache_creation_input_tokens);
  const prompt = (num(usage.input_tokens) ?? 0) + (read ?? 0) + (write ?? 0);
  const completion = num(usage.output_tokens) ?? 0;
  const result: TokenUsage = {
    promptTokens: prompt,
    completionTokens: completion,
    totalTokens:
      read === undefined && write === undefined
        ? (num(usage.total_tokens) ?? prompt + completion)
        : prompt + completion,
  };
  const cached = num(obj(usage.input_tokens_details)?.cached_tokens) ?? read;
  if (cached !== undefined) result.cachedTokens = cached;
  if (write !== undefined) result.cacheWriteTokens = write;
  // Anthropic: how many of the writes were for an hour (billed at 2x input, not 1.25x).
  const forAnHour = num(obj(usage.cache_creation)?.ephemeral_1h_input_tokens);
  if (forAnHour) result.cacheWrite1hTokens = forAnHour;
  const reasoning = num(obj(usage.output_tokens_details)?.reasoning_tokens);
  if (reasoning !== undefined) result.reasoningTokens = reasoning;
  return result;
}

/**
 * Gemini counts thought tokens apart; they are output, as reasoning tokens are in OpenAI's usage.
 * What built-in tools fetched (urlContext, googleSearch) is counted apart too, and billed as input.
 */
function readGeminiUsage(usage: JsonObject): TokenUsage {
  const prompt = (num(usage.promptTokenCount) ?? 0) + (num(usage.toolUsePromptTokenCount) ?? 0);
  const thoughts = num(usage.thoughtsTokenCount);
  const completion = (num(usage.candidatesTokenCount) ?? 0) + (thoughts ?? 0);
  const result: TokenUsage = {
    promptTokens: prompt,
    completionTokens: completion,
    totalTokens: prompt + completion,
  };
  const cached = num(usage.cachedContentTokenCount);
  if (cached !== undefined) result.cachedTokens = cached;
  if (thoughts !== undefined) result.reasoningTokens = thoughts;
  return result;
}

/**
 * Moonshot (Kimi) streams its usage inside the last chunk's choice rather than beside the
 * choices (the translated path reads it there too: openai-compatible/chat-stream.ts).
 */
function choiceUsage(choices: JsonValue | undefined): TokenUsage | null {
  if (!Array.isArray(choices)) return null;
  for (const choice of choices) {
    const found = readOpenAiUsage(obj(choice)?.usage);
    if (found) return found;
  }
  return null;
}

function obj(value: JsonValue | undefined): JsonObject | undefined {
  return isJsonObject(value) ? value : undefined;
}

function num(value: JsonValue | undefined): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}
