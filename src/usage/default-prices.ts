import type { ModelPrice, PriceMap } from './prices.js';

/**
 * Shipped list prices in USD per 1M tokens, as published by each provider in 2025. They are
 * DEFAULTS: providers change prices and tiers (long-context, batch, regional), so an operator who
 * bills from these numbers should check them and override in the config file (`prices:`) or on
 * the channel (`channels[].prices`). Reasoning tokens are billed as output unless stated.
 */
const usd = (input: number, output: number, extra: Partial<ModelPrice> = {}): ModelPrice => ({
  input,
  output,
  currency: 'USD',
  ...extra,
});

export const DEFAULT_PRICES: PriceMap = {
  // OpenAI (cached input is a discounted read; there is no cache-write charge)
  'gpt-4o': usd(2.5, 10, { cachedInput: 1.25 }),
  'gpt-4o-mini': usd(0.15, 0.6, { cachedInput: 0.075 }),
  'gpt-4.1': usd(2, 8, { cachedInput: 0.5 }),
  'gpt-4.1-mini': usd(0.4, 1.6, { cachedInput: 0.1 }),
  'gpt-4.1-nano': usd(0.1, 0.4, { cachedInput: 0.025 }),
  o3: usd(2, 8, { cachedInput: 0.5 }),
  'o3-mini': usd(1.1, 4.4, { cachedInput: 0.55 }),
  'o3-pro': usd(20, 80),
  'o4-mini': usd(1.1, 4.4, { cachedInput: 0.275 }),
  // Anthropic (cache write = 5-minute write, 1.25x input; 1-hour write 2x input; cache read = 0.1x input)
  'claude-opus-4': usd(15, 75, { cachedInput: 1.5, cacheWrite: 18.75, cacheWrite1h: 30 }),
  'claude-opus-4-1': usd(15, 75, { cachedInput: 1.5, cacheWrite: 18.75, cacheWrite1h: 30 }),
  'claude-opus-4-5': usd(5, 25, { cachedInput: 0.5, cacheWrite: 6.25, cacheWrite1h: 10 }),
  'claude-sonnet-4': usd(3, 15, { cachedInput: 0.3, cacheWrite: 3.75, cacheWrite1h: 6 }),
  'claude-sonnet-4-5': usd(3, 15, { cachedInput: 0.3, cacheWrite: 3.75, cacheWrite1h: 6 }),
  'claude-3-7-sonnet': usd(3, 15, { cachedInput: 0.3, cacheWrite: 3.75, cacheWrite1h: 6 }),
  'claude-3-5-sonnet': usd(3, 15, { cachedInput: 0.3, cacheWrite: 3.75, cacheWrite1h: 6 }),
  'claude-haiku-4-5': usd(1, 5, { cachedInput: 0.1, cacheWrite: 1.25, cacheWrite1h: 2 }),
  'claude-3-5-haiku': usd(0.8, 4, { cachedInput: 0.08, cacheWrite: 1, cacheWrite1h: 1.6 }),
  // DeepSeek (cache hit = cachedInput)
  'deepseek-chat': usd(0.28, 0.42, { cachedInput: 0.028 }),
  'deepseek-reasoner': usd(0.28, 0.42, { cachedInput: 0.028 }),
  // Google Gemini (prompts up to 200k tokens for the pro tier)
  'gemini-2.0-flash': usd(0.1, 0.4, { cachedInput: 0.025 }),
  'gemini-2.0-flash-lite': usd(0.075, 0.3),
  'gemini-2.5-flash': usd(0.3, 2.5, { cachedInput: 0.075 }),
  'gemini-2.5-flash-lite': usd(0.1, 0.4, { cachedInput: 0.025 }),
  'gemini-2.5-pro': usd(1.25, 10, { cachedInput: 0.31 }),
  // Moonshot
  'kimi-k2': usd(0.6, 2.5, { cachedInput: 0.15 }),
  'kimi-k2-turbo-preview': usd(2.4, 10, { cachedInput: 0.6 }),
  // Zhipu GLM
  'glm-4.5': usd(0.6, 2.2, { cachedInput: 0.11 }),
  'glm-4.5-air': usd(0.2, 1.1, { cachedInput: 0.03 }),
  'glm-4.5-flash': usd(0, 0),
  'glm-4.6': usd(0.6, 2.2, { cachedInput: 0.11 }),
  'glm-4-plus': usd(0.7, 0.7),
};
