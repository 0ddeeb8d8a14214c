import type { Channel } from '../../spec/channel.js';
import type { HealthEntry } from '../health-snapshot.js';
import { entryOf, SCOPE_ORDER } from './health-entries.js';
import { keyHealthId, parseHealthId } from './health-ids.js';
import type { HealthStore } from './health-store.js';
import type { KeyFingerprints } from './key-fingerprint.js';
import { openRequestHealth, type RequestHealth } from './request-health.js';

/** The router's health: a store shared by every request (and, with a shared store, every process). */
export interface RouterHealth {
  /** A window for one request (request-health.ts). */
  open(): RequestHealth;
  /** Everything not fully healthy, keys named by index and masked hint. */
  entries(channels: readonly Channel[], mask: (key: string) => string | null): Promise<HealthEntry[]>;
  /**
   * Clears records of one channel id (and one of its keys), or all; answers how many. `keepKeys`:
   * the records of these keys (a key's, and its targets') stay.
   */
  clear(
    channels: readonly Channel[],
    filter: { channel?: string; keyIndex?: number; keepKeys?: readonly string[] },
  ): Promise<number>;
  /** Puts a rejected key back into rotation now; false when it was not flagged. */
  reenableKey(channel: Channel, keyIndex: number): Promise<boolean>;
}

export function createRouterHealth(
  store: HealthStore,
  fingerprints: KeyFingerprints,
  now: () => number,
): RouterHealth {
  /** Fingerprint → key index, per channel id, for the channels the admin can see. */
  const indexes = async (channels: readonly Channel[]) => {
    const prints = await fingerprints.of(channels.flatMap((c) => c.keys));
    return new Map(
      channels.map((c) => [
        c.id,
        new Map(c.keys.map((key, i) => [prints.get(key) ?? '', { i, key }] as const)),
      ]),
    );
  };
  return {
    open: () => openRequestHealth(store, fingerprints, now),
    async entries(channels, mask) {
      const known = await indexes(channels);
      const t = now();
      const out: (HealthEntry & { order: number })[] = [];
      for (const [id, record] of await store.list()) {
        const subject = parseHealthId(id);
        const raw = subject && entryOf(subject, record, t);
        if (!subject || !raw) continue;
        const { key, ...entry } = raw;
        const keys = known.get(subject.channel);
        const slot = key === null ? undefined : keys?.get(key);
        // A key since removed from its channel: its record is harmless and no longer news.
        if (keys && key !== null && !slot) continue;
        out.push({
          ...entry,
          keyIndex: slot?.i ?? null,
          keyHint: slot ? mask(slot.key) : null,
          order: SCOPE_ORDER[subject.scope],
        });
      }
      return out.sort((a, b) => a.order - b.order).map(({ order: _, ...entry }) => entry);
    },
    async clear(channels, filter) {
      const channel = channels.find((c) => c.id === filter.channel);
      const key = filter.keyIndex === undefined ? undefined : channel?.keys[filter.keyIndex];
      const print = key === undefined ? undefined : (await fingerprints.of([key])).get(key);
      if (filter.keyIndex !== undefined && print === undefined) return 0;
      const kept = new Set(filter.keepKeys ? (await fingerprints.of(filter.keepKeys)).values() : []);
      let cleared = 0;
      for (const [id] of await store.list()) {
        const subject = parseHealthId(id);
        if (!subject) continue;
        if (filter.channel !== undefined && subject.channel !== filter.channel) continue;
        if (print !== undefined && subject.key !== null && subject.key !== print) continue;
        if (subject.key !== null && kept.has(subject.key)) continue;
        if ((await store.apply(id, { kind: 'reset' })).previous) cleared++;
      }
      return cleared;
    },
    async reenableKey(channel, keyIndex) {
      const key = channel.keys[keyIndex];
      if (key === undefined) return false;
      const print = (await fingerprints.of([key])).get(key) ?? '';
      const { previous } = await store.apply(keyHealthId(channel.id, print), { kind: 'reenable' });
      return previous?.scope === 'key';
    },
  };
}
