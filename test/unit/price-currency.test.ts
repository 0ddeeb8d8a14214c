import { describe, expect, it } from 'vitest';
import { ConfigError, resolveSettings } from '../../src/config/settings.js';
import type { WorkerEnv } from '../../src/runtime/workers/worker-env.js';
import { workerSettings } from '../../src/runtime/workers/worker-settings.js';

/**
 * One currency per deployment: costs, budgets, rollups and totals add every request's cost up as
 * one number, so the prices they come from must all be in one currency.
 */
const load = (config: Record<string, unknown>) =>
  resolveSettings({ env: {}, file: { path: 'switchboard.yaml', text: JSON.stringify(config) } });

const refusal = (run: () => unknown): string => {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
};

const usd = { input: 2.5, output: 10 };
const cny = { input: 2, output: 3, currency: 'CNY' };
const deepseek = (prices: Record<string, unknown>) => ({
  name: 'deepseek',
  provider: 'deepseek',
  keys: ['sk-deepseek-0001'],
  prices,
});

describe('the deployment currency', () => {
  it('refuses a price table in two currencies, naming the entries of each', () => {
    const message = refusal(() => load({ prices: { 'gpt-4o': usd, 'deepseek-chat': cny, 'glm-4.5': cny } }));
    expect(message).toBe(
      'prices are in more than one currency: USD (prices.gpt-4o), CNY (prices.deepseek-chat, prices.glm-4.5); ' +
        'costs, budgets and totals add them up as one: give every price in one currency',
    );
  });

  it("refuses a channel's prices in another currency than the price table's", () => {
    const message = refusal(() =>
      load({ prices: { 'gpt-4o': usd }, channels: [deepseek({ 'deepseek-chat': cny })] }),
    );
    expect(message).toBe(
      'prices are in more than one currency: USD (prices.gpt-4o), CNY (channels[deepseek].prices.deepseek-chat); ' +
        'costs, budgets and totals add them up as one: give every price in one currency',
    );
  });

  it('names a few entries of a currency and counts the rest', () => {
    const many = Object.fromEntries(['a', 'b', 'c', 'd', 'e'].map((m) => [m, usd]));
    const message = refusal(() => load({ prices: many, channels: [deepseek({ 'deepseek-chat': cny })] }));
    expect(message).toContain('USD (prices.a, prices.b, prices.c and 2 more), CNY (');
  });

  it('is the currency of the prices, USD when none is configured; a lower-case code is the same currency', () => {
    expect(resolveSettings({ env: {} }).accounting.currency).toBe('USD');
    expect(load({ prices: { 'gpt-4o': usd } }).accounting.currency).toBe('USD');
    expect(load({ channels: [deepseek({ 'deepseek-chat': cny })] }).accounting.currency).toBe('CNY');
    const lower = load({
      prices: { 'glm-4.5': { input: 4, output: 16, currency: 'cny' } },
      channels: [deepseek({ 'deepseek-chat': cny })],
    });
    expect(lower.accounting.currency).toBe('CNY');
    expect(lower.accounting.prices['glm-4.5']?.currency).toBe('CNY');
  });

  it('is refused the same way on Workers (SWITCHBOARD_CONFIG and CHANNELS)', () => {
    const env = {
      DB: {},
      COUNTERS: {},
      SWITCHBOARD_CONFIG: JSON.stringify({ prices: { 'gpt-4o': usd } }),
      CHANNELS: JSON.stringify([deepseek({ 'deepseek-chat': cny })]),
    } as unknown as WorkerEnv;
    expect(refusal(() => workerSettings(env))).toContain(
      'USD (prices.gpt-4o), CNY (channels[deepseek].prices.deepseek-chat)',
    );
    const cnyOnly = { ...env, SWITCHBOARD_CONFIG: '{}' } as WorkerEnv;
    expect(workerSettings(cnyOnly).accounting.currency).toBe('CNY');
  });
});
