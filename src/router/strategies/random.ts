import type { Strategy } from './types.js';

/** Uniform shuffle (Fisher–Yates); weights are ignored. */
export const randomOrder: Strategy = (candidates, options) => {
  const out = [...candidates];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(options.random() * (i + 1));
    [out[i], out[j]] = [out[j] as (typeof out)[number], out[i] as (typeof out)[number]];
  }
  return out;
};
