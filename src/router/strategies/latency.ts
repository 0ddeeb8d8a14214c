import { randomOrder } from './random.js';
import type { Strategy } from './types.js';

/**
 * Lowest recent time-to-first-byte first. Channels never measured go first so they get a
 * measurement, and a share of requests (`exploreRatio`) takes a random order so a channel that
 * was slow once is measured again instead of being starved forever.
 */
export const latencyAware: Strategy = (candidates, options) => {
  const shuffled = randomOrder(candidates, options);
  if (options.random() < options.exploreRatio) return shuffled;
  return shuffled.sort((a, b) => (a.latencyMs ?? -1) - (b.latencyMs ?? -1));
};
