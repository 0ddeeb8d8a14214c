import type { Candidate } from './resolve-model.js';
import { weightedOrder } from './weighted-order.js';

/** One channel to try, with the order in which its keys are tried. */
export interface PlannedChannel extends Candidate {
  readonly keyOrder: readonly number[];
}

export interface PlanOptions {
  readonly random: () => number;
  /** Next round-robin start for a channel's keys; advances on every call. */
  readonly nextKeyStart: (channelId: string, keyCount: number) => number;
}

/**
 * Lowest priority number first; inside a priority group, a weighted random order; inside a
 * channel, its keys starting from the round-robin cursor.
 */
export function planAttempts(candidates: readonly Candidate[], options: PlanOptions): PlannedChannel[] {
  const priorities = [...new Set(candidates.map((c) => c.channel.priority))].sort((a, b) => a - b);
  const plan: PlannedChannel[] = [];
  for (const priority of priorities) {
    const group = candidates.filter((c) => c.channel.priority === priority);
    for (const candidate of weightedOrder(group, (c) => c.channel.weight, options.random)) {
      const count = candidate.channel.keys.length;
      const start = options.nextKeyStart(candidate.channel.id, count);
      const keyOrder = Array.from({ length: count }, (_, i) => (start + i) % count);
      plan.push({ ...candidate, keyOrder });
    }
  }
  return plan;
}

/** A round-robin cursor per channel, shared by all requests of one gateway. */
export function createKeyCursor(): PlanOptions['nextKeyStart'] {
  const cursors = new Map<string, number>();
  return (channelId, keyCount) => {
    const current = cursors.get(channelId) ?? 0;
    cursors.set(channelId, (current + 1) % Math.max(keyCount, 1));
    return current % Math.max(keyCount, 1);
  };
}
