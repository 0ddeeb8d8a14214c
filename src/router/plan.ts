import type { Candidate } from './resolve-model.js';
import type { Strategy } from './strategies/index.js';
import { weightedRandom } from './strategies/weighted-random.js';

/** One channel to try, with the order in which its keys are tried. */
export interface PlannedChannel extends Candidate {
  readonly keyOrder: readonly number[];
}

export interface PlanOptions {
  /** For the strategy's draws; not called for a model one channel serves (nothing to order). */
  readonly random: () => number;
  /** Next round-robin start for a channel's keys; advances on every call. */
  readonly nextKeyStart: (channelId: string, keyCount: number) => number;
  /** Orders the channels of one priority group (weighted random when absent). */
  readonly strategy?: Strategy;
  /** Round-robin position of a priority group; advances on every call. */
  readonly nextTurn?: (group: string) => number;
  readonly exploreRatio?: number;
  readonly inFlight?: (channelId: string) => number;
  readonly latency?: (channelId: string) => number | null;
  /** Conversation fingerprint; channels with `affinity` try the key it maps to first. */
  readonly affinity?: number | null;
}

/**
 * Lowest priority number first; inside a priority group, the order the strategy gives; inside a
 * channel, its keys starting from the round-robin cursor (or from the conversation's key when
 * the channel has affinity). Health is not consulted here: the runner skips unhealthy targets.
 */
export function planAttempts(candidates: readonly Candidate[], options: PlanOptions): PlannedChannel[] {
  // Most models are served by one channel: nothing to group or order.
  if (candidates.length === 1) return [withKeyOrder(candidates[0] as Candidate, options)];
  const priorities = [...new Set(candidates.map((c) => c.channel.priority))].sort((a, b) => a - b);
  const plan: PlannedChannel[] = [];
  for (const priority of priorities) {
    const group = candidates
      .filter((c) => c.channel.priority === priority)
      .map((candidate) => ({
        id: candidate.channel.id,
        weight: candidate.channel.weight,
        inFlight: options.inFlight?.(candidate.channel.id) ?? 0,
        latencyMs: options.latency?.(candidate.channel.id) ?? null,
        candidate,
      }));
    const ordered = (options.strategy ?? weightedRandom)(group, {
      random: options.random,
      turn:
        group.length > 1 ? (options.nextTurn?.(`${priority}:${group.map((g) => g.id).join(',')}`) ?? 0) : 0,
      exploreRatio: options.exploreRatio ?? 0,
    });
    for (const { candidate } of ordered) plan.push(withKeyOrder(candidate, options));
  }
  return plan;
}

/** A channel's keys from the round-robin cursor (or the conversation's key, with affinity). */
function withKeyOrder(candidate: Candidate, options: PlanOptions): PlannedChannel {
  const count = candidate.channel.keys.length;
  const start = options.nextKeyStart(candidate.channel.id, count);
  let keyOrder = new Array<number>(count);
  for (let i = 0; i < count; i++) keyOrder[i] = (start + i) % count;
  if (candidate.channel.affinity && options.affinity != null && count > 1) {
    const pinned = options.affinity % count;
    keyOrder = [pinned, ...keyOrder.filter((k) => k !== pinned)];
  }
  return { channel: candidate.channel, upstreamModel: candidate.upstreamModel, keyOrder };
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

/** A counter per group, for round-robin over channels. */
export function createTurnCounter(): NonNullable<PlanOptions['nextTurn']> {
  const turns = new Map<string, number>();
  return (group) => {
    const current = turns.get(group) ?? 0;
    // Wraps long before it could lose precision; round-robin only needs it modulo the group size.
    turns.set(group, (current + 1) % 1_000_000_007);
    return current;
  };
}
