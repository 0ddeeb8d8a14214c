import type { Target } from '../../spec/channel.js';
import { type Availability, availabilityOf } from './availability.js';
import { eventsFor, type HealthEvent, type HealthRecord, type Outcome, type Scope } from './health-events.js';
import { type HealthTarget, healthIds } from './health-ids.js';
import type { HealthStore } from './health-store.js';
import type { KeyFingerprints } from './key-fingerprint.js';
import { claimable } from './transition.js';

/**
 * One request's window on health. `refresh` reads every candidate's records in one `getMany`,
 * so checking a target is a map lookup, not a round-trip; claims and verdicts go to the store
 * (atomically there) and their answers update the window.
 */
export interface RequestHealth {
  refresh(targets: readonly Target[]): Promise<void>;
  check(target: Target): Availability;
  /**
   * Claims the right to send to a target. True for healthy targets; for a half-open one (or a
   * flagged key due for its re-check) only the first caller gets true. `force` is the
   * last-resort try of a cooling target.
   */
  acquire(target: Target, force?: boolean): Promise<boolean>;
  report(target: Target, outcome: Outcome): Promise<void>;
}

/** Events that leave a healthy (absent) record absent need no write when the window shows none. */
const CREATES_RECORD = new Set<HealthEvent['kind']>([
  'failure',
  'rate-limited',
  'key-rejected',
  'model-missing',
]);

/** What `report` answers when no record needs a write: most successes on healthy targets. */
const NOTHING_TO_WRITE: Promise<void> = Promise.resolve();

type Ids = Readonly<Record<Scope, string>>;

export function openRequestHealth(
  store: HealthStore,
  fingerprints: KeyFingerprints,
  now: () => number,
): RequestHealth {
  const seen = new Map<string, HealthRecord | undefined>();
  // Targets are the same objects for the whole request, so their ids are made once each.
  const idsByTarget = new Map<Target, Ids>();
  let keyPrints: ReadonlyMap<string, string> | null = null;

  const keyOf = (target: Target) => target.channel.keys[target.keyIndex] ?? '';
  const idsOf = (target: Target): Ids => {
    let ids = idsByTarget.get(target);
    if (ids) return ids;
    const key = keyOf(target);
    const print = keyPrints ? keyPrints.get(key) : fingerprints.known(key);
    // refresh() fingerprints every target before any is checked; anything else is a bug here.
    if (print === undefined)
      throw new Error(`health: target ${target.channel.name}#${target.keyIndex} not read`);
    ids = healthIds(healthTargetOf(target, print));
    idsByTarget.set(target, ids);
    return ids;
  };
  const recordsOf = (target: Target) => {
    const ids = idsOf(target);
    return {
      key: asScope(seen.get(ids.key), 'key'),
      model: asScope(seen.get(ids.model), 'model'),
      target: asScope(seen.get(ids.target), 'target'),
    };
  };
  const apply = async (id: string, event: HealthEvent) => {
    const applied = await store.apply(id, event);
    seen.set(id, applied.current);
    return applied;
  };

  return {
    async refresh(targets) {
      // Fingerprints are remembered: only a key not seen before waits for its hash.
      if (targets.some((t) => fingerprints.known(keyOf(t)) === undefined))
        keyPrints = await fingerprints.of(targets.map(keyOf));
      const ids = new Set<string>();
      for (const target of targets) {
        const { key, model, target: breaker } = idsOf(target);
        ids.add(key).add(model).add(breaker);
      }
      const list = [...ids];
      const found = store.getManyNow?.(list) ?? (await store.getMany(list));
      for (const id of list) seen.set(id, found.get(id));
    },
    check: (target) => availabilityOf(recordsOf(target), now()),
    async acquire(target, force = false) {
      const records = recordsOf(target);
      const availability = availabilityOf(records, now());
      if (availability.kind === 'out') return false;
      if (availability.kind === 'ok') return true;
      if (availability.kind === 'cooling' && !force) return false;
      // A flagged key's re-check is claimed on the key; a half-open breaker on the target.
      const ids = idsOf(target);
      const id = records.key ? ids.key : ids.target;
      const applied = await store.apply(id, { kind: 'acquire', force });
      seen.set(id, applied.current);
      // The store's answer decides: of concurrent claims only one saw the record claimable.
      return claimable(applied.previous, force, now());
    },
    report(target, outcome) {
      const ids = idsOf(target);
      const writes: Promise<unknown>[] = [];
      for (const [scope, event] of eventsFor(outcome)) {
        const id = ids[scope];
        // An event that leaves a healthy (absent) record absent needs no write. The window may be
        // older than the record, though: a success must still end a run of failures that other
        // requests began since this one read it (answers take seconds), as far as the store can
        // tell without a round trip. Only that run: a cooldown (an open breaker, a 429's
        // Retry-After, a rejected key) that began after this request was sent is not its to end.
        if (seen.get(id) === undefined && !CREATES_RECORD.has(event.kind)) {
          // Only a target's record counts failures: a key's or model's is never such a run.
          if (event.kind !== 'success' || scope !== 'target') continue;
          if (!failureRun(store.getManyNow?.([id])?.get(id), now())) continue;
        }
        writes.push(apply(id, event));
      }
      return writes.length > 0 ? Promise.all(writes).then(() => undefined) : NOTHING_TO_WRITE;
    },
  };
}

/** A closed breaker counting failures, outside any 429 cooldown: what a success may end. */
function failureRun(record: HealthRecord | undefined, at: number): boolean {
  return record?.scope === 'target' && record.breaker === 'closed' && record.rateLimitedUntil <= at;
}

export const healthTargetOf = (target: Target, keyPrint: string): HealthTarget => ({
  channel: target.channel.id,
  key: keyPrint,
  model: target.upstreamModel || '*',
});

function asScope<S extends Scope>(
  record: HealthRecord | undefined,
  scope: S,
): Extract<HealthRecord, { scope: S }> | undefined {
  return record?.scope === scope ? (record as Extract<HealthRecord, { scope: S }>) : undefined;
}
