import type { BreakerSettings, HealthRecord } from './health-events.js';
import type { HealthStore } from './health-store.js';
import { transition } from './transition.js';

/**
 * One process's health. `apply` reads, transitions and writes without an await in between, so
 * on one event loop it is atomic: concurrent acquires of one half-open target grant one probe.
 */
export function createMemoryHealthStore(settings: BreakerSettings, now: () => number): HealthStore {
  const records = new Map<string, HealthRecord>();
  const getManyNow = (ids: readonly string[]) => {
    const found = new Map<string, HealthRecord>();
    if (records.size === 0) return found;
    for (const id of ids) {
      const record = records.get(id);
      if (record) found.set(id, record);
    }
    return found;
  };
  return {
    async get(id) {
      return records.get(id);
    },
    async getMany(ids) {
      return getManyNow(ids);
    },
    getManyNow,
    async apply(id, event) {
      const previous = records.get(id);
      const current = transition(previous, event, now(), settings);
      if (current === undefined) records.delete(id);
      else records.set(id, current);
      return { previous, current };
    },
    async list() {
      return [...records];
    },
  };
}
