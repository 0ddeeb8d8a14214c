import { weightedOrder } from '../weighted-order.js';
import type { Strategy } from './types.js';

/** The default: a channel of weight 3 is picked first three times as often as one of weight 1. */
export const weightedRandom: Strategy = (candidates, options) =>
  weightedOrder(candidates, (c) => c.weight, options.random);
