import type { TokenUsage } from '../spec/usage.js';
import type { ModelPrice } from './prices.js';

/**
 * Cost of one request. `promptTokens` includes cached reads and cache writes (the OpenAI
 * convention the adapters normalise to), so those are priced apart (1-hour cache writes at their
 * own rate) and the rest at `input`;
 * `completionTokens` includes reasoning tokens likewise. Rounded to 1e-9 so sums stay stable.
 */
export function computeCost(usage: TokenUsage, price: ModelPrice): number {
  const cached = usage.cachedTokens ?? 0;
  const written = usage.cacheWriteTokens ?? 0;
  // The 1-hour writes are a part of the writes (never more than all of them).
  const writtenForAnHour = Math.min(usage.cacheWrite1hTokens ?? 0, written);
  const reasoning = usage.reasoningTokens ?? 0;
  const freshInput = Math.max(usage.promptTokens - cached - written, 0);
  const plainOutput = Math.max(usage.completionTokens - reasoning, 0);
  const total =
    freshInput * price.input +
    cached * (price.cachedInput ?? price.input) +
    (written - writtenForAnHour) * (price.cacheWrite ?? price.input) +
    writtenForAnHour * (price.cacheWrite1h ?? price.cacheWrite ?? price.input) +
    plainOutput * price.output +
    reasoning * (price.reasoning ?? price.output);
  return Math.round((total / 1_000_000) * 1e9) / 1e9;
}
