import type { Strategy } from './types.js';

/** Exact rotation: request n starts at candidate n mod count; weights are ignored. */
export const roundRobin: Strategy = (candidates, options) => {
  const count = candidates.length;
  if (count <= 1) return [...candidates];
  const start = ((options.turn % count) + count) % count;
  return [...candidates.slice(start), ...candidates.slice(0, start)];
};
