import type { HealthEntry } from '../health-snapshot.js';
import type { Availability, BreakerOptions, HealthPort, HealthTarget } from './health-port.js';

interface TargetState {
  breaker: 'closed' | 'open' | 'half_open';
  consecutiveFailures: number;
  trips: number;
  openUntil: number;
  probeOut: boolean;
  lastFailureAt: number;
  reason: string;
  since: number;
  rateLimitedUntil: number;
  rateLimitReason: string;
}

interface Mark {
  readonly reason: string;
  readonly since: number;
  readonly until: number | null;
}

/** A key the upstream rejected: out until `until`, then one request re-checks it. */
interface KeyMark extends Mark {
  readonly until: number;
  /** Rejections in a row; each doubles the wait before the next re-check. */
  readonly strikes: number;
  probeOut: boolean;
}

const targetId = (t: HealthTarget) => `${t.channel}\u0000${t.keyIndex}\u0000${t.model}`;
const keyId = (channel: string, keyIndex: number) => `${channel}\u0000${keyIndex}`;
const modelId = (channel: string, model: string) => `${channel}\u0000${model}`;

/** In-process health: the state machine of docs/routing.md ("Health"). Time comes from `now`. */
export function createMemoryHealth(options: BreakerOptions, now: () => number): HealthPort {
  const targets = new Map<string, { target: HealthTarget; state: TargetState }>();
  const keys = new Map<string, { channel: string; keyIndex: number; mark: KeyMark }>();
  const models = new Map<string, { channel: string; model: string; mark: Mark }>();

  const cooldownFor = (trips: number) =>
    Math.min(options.cooldownMs * 2 ** Math.max(trips - 1, 0), options.maxCooldownMs);
  const keyWaitFor = (strikes: number) =>
    Math.min(options.keyRetryMs * 2 ** Math.max(strikes - 1, 0), options.keyRetryMaxMs);
  /** The flagged key's retry slot is free again; it stays flagged until a verdict. */
  const releaseKeyProbe = (target: HealthTarget) => {
    const key = keys.get(keyId(target.channel, target.keyIndex));
    if (key) key.mark.probeOut = false;
  };

  const stateOf = (target: HealthTarget): TargetState => {
    const id = targetId(target);
    let found = targets.get(id);
    if (!found) {
      found = {
        target,
        state: {
          breaker: 'closed',
          consecutiveFailures: 0,
          trips: 0,
          openUntil: 0,
          probeOut: false,
          lastFailureAt: 0,
          reason: '',
          since: now(),
          rateLimitedUntil: 0,
          rateLimitReason: '',
        },
      };
      targets.set(id, found);
    }
    return found.state;
  };

  const check = (target: HealthTarget): Availability => {
    const t = now();
    const key = keys.get(keyId(target.channel, target.keyIndex));
    if (key) {
      // Re-checked on real traffic once its wait is over: one request at a time.
      if (key.mark.until <= t && !key.mark.probeOut) return { kind: 'probe' };
      return { kind: 'out', reason: key.mark.reason };
    }
    const model = models.get(modelId(target.channel, target.model));
    if (model) {
      if (model.mark.until !== null && model.mark.until <= t)
        models.delete(modelId(target.channel, target.model));
      else return { kind: 'out', reason: model.mark.reason };
    }
    const state = targets.get(targetId(target))?.state;
    if (!state) return { kind: 'ok' };
    if (state.rateLimitedUntil > t)
      return {
        kind: 'cooling',
        until: state.rateLimitedUntil,
        failedAt: state.lastFailureAt,
        why: 'rate-limited',
      };
    if (state.breaker === 'open' && state.openUntil > t)
      return { kind: 'cooling', until: state.openUntil, failedAt: state.lastFailureAt, why: 'breaker' };
    if (state.breaker !== 'closed') {
      // Cooldown over: half-open. While the one probe is out, everyone else waits for its verdict.
      if (state.probeOut) return { kind: 'cooling', until: t, failedAt: state.lastFailureAt, why: 'breaker' };
      return { kind: 'probe' };
    }
    return { kind: 'ok' };
  };

  return {
    check,
    acquire(target, force = false) {
      const availability = check(target);
      if (availability.kind === 'out') return false;
      if (availability.kind === 'ok') return true;
      if (availability.kind === 'cooling' && !force) return false;
      const key = keys.get(keyId(target.channel, target.keyIndex));
      if (key) {
        key.mark.probeOut = true;
        return true;
      }
      const state = stateOf(target);
      if (state.breaker !== 'closed') {
        if (state.breaker === 'open' && state.openUntil <= now()) state.since = now();
        state.breaker = 'half_open';
        state.probeOut = true;
      }
      return true;
    },
    report(target, outcome) {
      const t = now();
      switch (outcome.kind) {
        case 'success':
          targets.delete(targetId(target));
          keys.delete(keyId(target.channel, target.keyIndex));
          return;
        case 'neutral': {
          const state = targets.get(targetId(target))?.state;
          if (state) state.probeOut = false;
          releaseKeyProbe(target);
          return;
        }
        case 'key-rejected': {
          const id = keyId(target.channel, target.keyIndex);
          const previous = keys.get(id)?.mark;
          const strikes = (previous?.strikes ?? 0) + 1;
          keys.set(id, {
            channel: target.channel,
            keyIndex: target.keyIndex,
            mark: {
              reason: outcome.reason,
              since: previous?.since ?? t,
              until: t + keyWaitFor(strikes),
              strikes,
              probeOut: false,
            },
          });
          return;
        }
        case 'model-missing':
          releaseKeyProbe(target);
          models.set(modelId(target.channel, target.model), {
            channel: target.channel,
            model: target.model,
            mark: { reason: outcome.reason, since: t, until: t + options.modelMissingCooldownMs },
          });
          return;
        case 'rate-limited': {
          releaseKeyProbe(target);
          const state = stateOf(target);
          state.probeOut = false;
          state.lastFailureAt = t;
          state.rateLimitedUntil = t + (outcome.retryAfterMs ?? options.rateLimitCooldownMs);
          state.rateLimitReason = outcome.retryAfterMs === null ? 'HTTP 429' : 'HTTP 429 (Retry-After)';
          return;
        }
        case 'failure': {
          releaseKeyProbe(target);
          const state = stateOf(target);
          state.lastFailureAt = t;
          state.reason = outcome.reason;
          state.probeOut = false;
          if (state.breaker !== 'closed') {
            // The probe (or a last-resort try) failed: open again, for longer.
            state.trips++;
            state.breaker = 'open';
            state.openUntil = t + cooldownFor(state.trips);
            state.since = t;
            return;
          }
          if (state.consecutiveFailures === 0) state.since = t;
          state.consecutiveFailures++;
          if (state.consecutiveFailures >= options.failureThreshold) {
            state.trips++;
            state.breaker = 'open';
            state.openUntil = t + cooldownFor(state.trips);
            state.consecutiveFailures = 0;
            state.since = t;
          }
          return;
        }
      }
    },
    entries() {
      const t = now();
      const out: HealthEntry[] = [];
      for (const { channel, keyIndex, mark } of keys.values()) {
        out.push({
          channel,
          keyIndex,
          keyHint: null,
          model: null,
          state: 'disabled',
          ...markFields(mark),
          trips: mark.strikes,
        });
      }
      for (const { channel, model, mark } of models.values()) {
        if (mark.until !== null && mark.until <= t) continue;
        out.push({
          channel,
          keyIndex: null,
          keyHint: null,
          model,
          state: 'model_unavailable',
          ...markFields(mark),
        });
      }
      for (const { target, state } of targets.values()) {
        const base = {
          channel: target.channel,
          keyIndex: target.keyIndex,
          keyHint: null,
          model: target.model,
          consecutiveFailures: state.consecutiveFailures,
          trips: state.trips,
        };
        if (state.rateLimitedUntil > t) {
          out.push({
            ...base,
            state: 'rate_limited',
            reason: state.rateLimitReason,
            since: state.lastFailureAt,
            until: state.rateLimitedUntil,
          });
        } else if (state.breaker === 'open' && state.openUntil > t) {
          out.push({
            ...base,
            state: 'open',
            reason: state.reason,
            since: state.since,
            until: state.openUntil,
          });
        } else if (state.breaker !== 'closed') {
          out.push({ ...base, state: 'half_open', reason: state.reason, since: state.since, until: null });
        } else if (state.consecutiveFailures > 0) {
          out.push({ ...base, state: 'degraded', reason: state.reason, since: state.since, until: null });
        }
      }
      return out;
    },
    clear(filter = {}) {
      let cleared = 0;
      const matches = (channel: string, keyIndex: number | null) =>
        (filter.channel === undefined || filter.channel === channel) &&
        (filter.keyIndex === undefined || keyIndex === null || filter.keyIndex === keyIndex);
      for (const [id, entry] of keys)
        if (matches(entry.channel, entry.keyIndex) && keys.delete(id)) cleared++;
      for (const [id, entry] of models) if (matches(entry.channel, null) && models.delete(id)) cleared++;
      for (const [id, entry] of targets)
        if (matches(entry.target.channel, entry.target.keyIndex) && targets.delete(id)) cleared++;
      return cleared;
    },
    reenableKey(channel, keyIndex) {
      return keys.delete(keyId(channel, keyIndex));
    },
  };
}

function markFields(mark: Mark) {
  return { reason: mark.reason, since: mark.since, until: mark.until, consecutiveFailures: 0, trips: 0 };
}
