import { latencyAware } from './latency.js';
import { leastUsed } from './least-used.js';
import { randomOrder } from './random.js';
import { roundRobin } from './round-robin.js';
import type { Strategy } from './types.js';
import { weightedRandom } from './weighted-random.js';

export type { Strategy, StrategyCandidate, StrategyOptions } from './types.js';

export type StrategyName = 'weighted-random' | 'round-robin' | 'random' | 'least-used' | 'latency';

export const STRATEGIES: Readonly<Record<StrategyName, Strategy>> = {
  'weighted-random': weightedRandom,
  'round-robin': roundRobin,
  random: randomOrder,
  'least-used': leastUsed,
  latency: latencyAware,
};

export interface ModelGroup {
  readonly models: readonly string[];
  readonly strategy: StrategyName;
}

/** The strategy for a model: the first model group with a matching pattern, else the global one. */
export function strategyFor(
  model: string,
  groups: readonly ModelGroup[],
  fallback: StrategyName,
): StrategyName {
  for (const group of groups) {
    if (group.models.some((pattern) => matchesPattern(pattern, model))) return group.strategy;
  }
  return fallback;
}

/** Exact name, or a glob where `*` matches any run of characters (e.g. `gpt-4o*`, `deepseek/*`). */
export function matchesPattern(pattern: string, model: string): boolean {
  if (!pattern.includes('*')) return pattern === model;
  const parts = pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${parts.join('.*')}$`).test(model);
}
