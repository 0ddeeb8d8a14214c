import { isJsonObject, type JsonValue } from '../spec/json.js';
import type { TokenUsage } from '../spec/usage.js';

/** Reads an OpenAI `usage` object (chat, completions, embeddings) into token counts. */
export function readOpenAiUsage(usage: JsonValue | undefined): TokenUsage | null {
  if (!isJsonObject(usage)) return null;
  const prompt = numberOr(usage.prompt_tokens, 0);
  const completion = numberOr(usage.completion_tokens, 0);
  const result: TokenUsage = {
    promptTokens: prompt,
    completionTokens: completion,
    totalTokens: numberOr(usage.total_tokens, prompt + completion),
  };
  const promptDetails = usage.prompt_tokens_details;
  if (isJsonObject(promptDetails) && typeof promptDetails.cached_tokens === 'number') {
    result.cachedTokens = promptDetails.cached_tokens;
  }
  const completionDetails = usage.completion_tokens_details;
  if (isJsonObject(completionDetails) && typeof completionDetails.reasoning_tokens === 'number') {
    result.reasoningTokens = completionDetails.reasoning_tokens;
  }
  return result;
}

function numberOr(value: JsonValue | undefined, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

/** Usage from a whole non-stream JSON body; null when the body has none or is not JSON. */
export function usageFromJsonBody(body: Uint8Array): TokenUsage | null {
  try {
    const parsed: unknown = JSON.parse(new TextDecoder().decode(body));
    return isJsonObject(parsed) ? readOpenAiUsage(parsed.usage) : null;
  } catch {
    return null;
  }
}
