import type { Redis } from 'ioredis';
import type { HealthRecord } from '../../router/health/health-events.js';

/** Every live record in Redis as of write number `seq` (the health store's snapshot script). */
export interface HealthSnapshot {
  readonly seq: number;
  readonly records: readonly { readonly id: string; readonly raw: string; readonly ttlMs: number }[];
}

export interface HealthMirrorOptions {
  /** A connection of its own: a subscribed connection takes no other commands. */
  readonly subscriber: Redis;
  /** Where the compare-and-set script publishes every write it makes. */
  readonly channel: string;
  readonly snapshot: () => Promise<HealthSnapshot>;
  /** How often the whole mirror is read again, as a safety net (default 30 s). */
  readonly resyncMs?: number;
  readonly now?: () => number;
}

/** This process's copy of the health records in Redis, read without a round trip. */
export interface HealthMirror {
  /** The records of `ids` as last heard; undefined while the copy may be behind Redis. */
  getManyNow(ids: readonly string[]): ReadonlyMap<string, HealthRecord> | undefined;
  /** A write this instance made (`seq` from the script), kept before its own echo arrives. */
  note(seq: number, id: string, ttlMs: number, record: HealthRecord | undefined): void;
  close(): void;
}

interface Entry {
  readonly record: HealthRecord | undefined;
  readonly seq: number;
  readonly expiresAt: number;
}

/**
 * Kept fresh by pub/sub: the compare-and-set script publishes each write with its number (one
 * counter in Redis), atomically with the write, so the message is on this process's subscriber
 * socket before the writer even reads its reply. A snapshot (after every (re)subscribe, and every
 * `resyncMs`) replaces what is older than it; a message older than the last snapshot is dropped.
 * While the subscription is down the copy answers nothing (the caller reads Redis or falls back).
 */
export function createHealthMirror(options: HealthMirrorOptions): HealthMirror {
  const { subscriber, channel } = options;
  const now = options.now ?? Date.now;
  const entries = new Map<string, Entry>();
  /** Writes up to this number are in the last snapshot. */
  let floor = 0;
  let synced = false;
  /** Bumped when the subscription drops: a snapshot begun before then does not count. */
  let generation = 0;
  let closed = false;
  let resyncing: Promise<void> | null = null;

  const keep = (seq: number, id: string, ttlMs: number, record: HealthRecord | undefined) => {
    if (seq <= floor) return;
    const current = entries.get(id);
    if (current && current.seq >= seq) return;
    entries.set(id, { record, seq, expiresAt: now() + ttlMs });
  };

  const resync = (): Promise<void> => {
    if (resyncing) return resyncing;
    const started = generation;
    resyncing = options
      .snapshot()
      .then((snapshot) => {
        if (closed || started !== generation) return;
        // The write counter went back: Redis lost its data; nothing heard before counts.
        if (snapshot.seq < floor) entries.clear();
        floor = snapshot.seq;
        // Messages that overtook the snapshot stay; everything older is what the snapshot says.
        for (const [id, entry] of entries) if (entry.seq <= floor) entries.delete(id);
        const at = now();
        for (const { id, raw, ttlMs } of snapshot.records) {
          if (!entries.has(id)) entries.set(id, { record: parse(raw), seq: floor, expiresAt: at + ttlMs });
        }
        synced = true;
      })
      // A failed snapshot leaves the copy as it was; the next tick or reconnect tries again.
      .catch(() => undefined)
      .finally(() => {
        resyncing = null;
      });
    return resyncing;
  };

  subscriber.on('message', (from: string, text: string) => {
    if (from !== channel) return;
    const message = parseMessage(text);
    if (message) keep(message.seq, message.id, message.ttlMs, message.record);
  });
  const drop = () => {
    generation++;
    synced = false;
    floor = 0;
    entries.clear();
  };
  subscriber.on('close', drop);
  subscriber.on('end', drop);
  const subscribe = () => {
    if (closed) return;
    subscriber
      .subscribe(channel)
      .then(resync)
      .catch(() => undefined);
  };
  // Every 'ready' (the first, and each reconnect) subscribes and then reads the whole copy.
  subscriber.on('ready', subscribe);
  if (subscriber.status === 'ready') subscribe();
  const timer = setInterval(() => {
    if (synced) void resync();
  }, options.resyncMs ?? 30_000);
  timer.unref?.();

  return {
    getManyNow(ids) {
      if (!synced) return undefined;
      const found = new Map<string, HealthRecord>();
      if (entries.size === 0) return found;
      const at = now();
      for (const id of ids) {
        const entry = entries.get(id);
        if (entry?.record && entry.expiresAt > at) found.set(id, entry.record);
      }
      return found;
    },
    note: keep,
    close() {
      closed = true;
      clearInterval(timer);
      drop();
    },
  };
}

const parse = (raw: string): HealthRecord | undefined =>
  raw === '' ? undefined : (JSON.parse(raw) as HealthRecord);

/** `<seq>\n<ttl ms>\n<id>\n<record JSON, empty when deleted>` (ids and JSON hold no newline). */
function parseMessage(
  text: string,
): { seq: number; ttlMs: number; id: string; record: HealthRecord | undefined } | null {
  const a = text.indexOf('\n');
  const b = text.indexOf('\n', a + 1);
  const c = text.indexOf('\n', b + 1);
  if (a < 0 || b < 0 || c < 0) return null;
  const seq = Number(text.slice(0, a));
  const ttlMs = Number(text.slice(a + 1, b));
  if (!Number.isFinite(seq) || !Number.isFinite(ttlMs)) return null;
  try {
    return { seq, ttlMs, id: text.slice(b + 1, c), record: parse(text.slice(c + 1)) };
  } catch {
    return null;
  }
}
