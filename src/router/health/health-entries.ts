import type { HealthEntry } from '../health-snapshot.js';
import { breakerAvailability } from './availability.js';
import type { HealthRecord } from './health-events.js';
import type { HealthSubject } from './health-ids.js';

/** A record as the snapshot shows it, before the key's index and hint are looked up; null = healthy. */
export type RawEntry = Omit<HealthEntry, 'keyIndex' | 'keyHint'> & { readonly key: string | null };

export function entryOf(subject: HealthSubject, record: HealthRecord, now: number): RawEntry | null {
  const base = { channel: subject.channel, key: subject.key, model: subject.model };
  switch (record.scope) {
    case 'key':
      return {
        ...base,
        state: 'disabled',
        reason: record.reason,
        since: record.since,
        until: record.until,
        consecutiveFailures: 0,
        trips: record.strikes,
      };
    case 'model':
      if (record.until <= now) return null;
      return {
        ...base,
        state: 'model_unavailable',
        reason: record.reason,
        since: record.since,
        until: record.until,
        consecutiveFailures: 0,
        trips: 0,
      };
    case 'target': {
      const counts = { consecutiveFailures: record.consecutiveFailures, trips: record.trips };
      const availability = breakerAvailability(record, now);
      if (availability.kind === 'cooling' && availability.why === 'rate-limited')
        return {
          ...base,
          ...counts,
          state: 'rate_limited',
          reason: record.rateLimitReason,
          since: record.lastFailureAt,
          until: record.rateLimitedUntil,
        };
      if (record.breaker === 'open' && record.openUntil > now)
        return {
          ...base,
          ...counts,
          state: 'open',
          reason: record.reason,
          since: record.since,
          until: record.openUntil,
        };
      if (record.breaker !== 'closed')
        return {
          ...base,
          ...counts,
          state: 'half_open',
          reason: record.reason,
          since: record.since,
          until: null,
        };
      if (record.consecutiveFailures > 0)
        return {
          ...base,
          ...counts,
          state: 'degraded',
          reason: record.reason,
          since: record.since,
          until: null,
        };
      return null;
    }
  }
}

/** Keys first (they cover every model), then models (every key), then single targets. */
export const SCOPE_ORDER = { key: 0, model: 1, target: 2 } as const;
