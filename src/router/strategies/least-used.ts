import { randomOrder } from './random.js';
import type { Strategy } from './types.js';

/** Fewest requests in flight first; ties are shuffled so equal channels share the load. */
export const leastUsed: Strategy = (candidates, options) =>
  randomOrder(candidates, options).sort((a, b) => a.inFlight - b.inFlight);
