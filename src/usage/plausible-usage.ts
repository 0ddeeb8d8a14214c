import type { TokenUsage } from '../spec/usage.js';

/**
 * The most tokens one count may hold: the usage tables store counts as 32-bit integers, and no
 * request comes near it.
 */
export const TOKEN_COUNT_MAX = 2_147_483_647;

const isCount = (value: number | undefined): boolean =>
  value === undefined || (Number.isInteger(value) && value >= 0 && value <= TOKEN_COUNT_MAX);

/**
 * Whether an upstream's reported usage holds token counts: whole numbers from 0 to
 * TOKEN_COUNT_MAX. A misbehaving upstream (a self-hosted server, a proxy) that reports 1.5, -4
 * or 3e9 is not trusted: the request is counted with the tokenizer instead, and its record stays
 * one every usage store can hold.
 */
export function isPlausibleUsage(usage: TokenUsage): boolean {
  return (
    isCount(usage.promptTokens) &&
    isCount(usage.completionTokens) &&
    isCount(usage.totalTokens) &&
    isCount(usage.cachedTokens) &&
    isCount(usage.cacheWriteTokens) &&
    isCount(usage.cacheWrite1hTokens) &&
    isCount(usage.reasoningTokens)
  );
}
