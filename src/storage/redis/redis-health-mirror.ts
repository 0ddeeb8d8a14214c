import type { Redis } from 'ioredis';
import type { HealthRecord } from '../../router/health/health-events.js';

/** Every live record in Redis as of write number `seq` of counter `epoch` (the health store's snapshot script). */
export interface HealthSnapshot {
  readonly seq: number;
  /** Names the write counter; a new one (the counter was lost: FLUSHDB, eviction) restarts the numbers. '' before any write. */
  readonly epoch: string;
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
  /** After a failed read, the first wait before the next (doubling up to `resyncMs`; default 200 ms). */
  readonly retryMs?: number;
  readonly now?: () => number;
}

/** This process's copy of the health records in Redis, read without a round trip. */
export interface HealthMirror {
  /** The records of `ids` as last heard; undefined while the copy may be behind Redis. */
  getManyNow(ids: readonly string[]): ReadonlyMap<string, HealthRecord> | undefined;
  /** A write this instance made (`seq` from the script), kept before its own echo arrives. */
  note(seq: number, id: string, ttlMs: number, record: HealthRecord | undefined): void;
  /** While the copy is not synced, tries to read it now (the main connection is back). */
  refresh(): void;
  close(): void;
}

interface Entry {
  readonly record: HealthRecord | undefined;
  readonly seq: number;
  readonly expiresAt: number;
}

/**
 * Kept fresh by pub/sub: the compare-and-set script publishes each write with its number (one
 * counter in Redis, named by an epoch), atomically with the write, so the message is on this
 * process's subscriber socket before the writer even reads its reply. A snapshot (after every
 * (re)subscribe, and every `resyncMs`) replaces what is older than it; a message older than the
 * last snapshot is dropped. The copy answers nothing (the caller reads Redis or falls back) while
 * the subscription is down, until a snapshot succeeds (retried with backoff), and from the moment
 * a lost message shows (a number skipped, a new epoch, or a periodic snapshot ahead of every
 * message heard, after a PING on the subscriber has flushed those in flight) until it is read again.
 */
export function createHealthMirror(options: HealthMirrorOptions): HealthMirror {
  const { subscriber, channel } = options;
  const now = options.now ?? Date.now;
  const resyncMs = options.resyncMs ?? 30_000;
  const retryMs = Math.min(options.retryMs ?? 200, resyncMs);
  const entries = new Map<string, Entry>();
  /** Writes up to this number are in the last snapshot. */
  let floor = 0;
  let epoch = '';
  /** Every write up to this number has been heard or read (null until this subscription's first snapshot). */
  let complete: number | null = null;
  /** The highest number heard since the subscription began, and the epoch it counts in. */
  let highest = 0;
  let highestEpoch = '';
  let synced = false;
  /** Bumped when the subscription drops: a snapshot begun before then does not count. */
  let generation = 0;
  let closed = false;
  let resyncing: { readonly generation: number; readonly done: Promise<void> } | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let backoff = retryMs;

  const keep = (seq: number, id: string, ttlMs: number, record: HealthRecord | undefined) => {
    if (seq <= floor) return;
    const current = entries.get(id);
    if (current && current.seq >= seq) return;
    entries.set(id, { record, seq, expiresAt: now() + ttlMs });
  };

  const forget = () => {
    synced = false;
    floor = 0;
    complete = null;
    entries.clear();
  };

  const schedule = () => {
    if (closed) return;
    clearTimeout(timer);
    timer = setTimeout(tick, synced ? resyncMs : backoff);
    timer.unref?.();
    if (!synced) backoff = Math.min(backoff * 2, resyncMs);
  };

  /** Resolves true when every message published before the snapshot has arrived. */
  const flushed = async (): Promise<boolean> => {
    try {
      await subscriber.ping();
      return true;
    } catch {
      return false;
    }
  };

  const resync = (): Promise<void> => {
    // A snapshot begun before the subscription dropped may miss what was published meanwhile.
    if (resyncing && resyncing.generation === generation) return resyncing.done;
    const started = generation;
    const wasSynced = synced;
    const done = options
      .snapshot()
      .then(async (snapshot) => {
        if (closed || started !== generation) return;
        const check = wasSynced && snapshot.epoch === epoch ? await flushed() : true;
        if (closed || started !== generation) return;
        // The write counter is a new one (Redis lost it): nothing heard before counts.
        // Before the first snapshot the epoch is unknown (''): messages that overtook it stay.
        if ((epoch !== '' && snapshot.epoch !== epoch) || snapshot.seq < floor) entries.clear();
        const lost =
          !check || (wasSynced && snapshot.epoch === epoch && complete !== null && snapshot.seq > complete);
        epoch = snapshot.epoch;
        floor = snapshot.seq;
        complete = highestEpoch === snapshot.epoch ? Math.max(snapshot.seq, highest) : snapshot.seq;
        // Messages that overtook the snapshot stay; everything older is what the snapshot says.
        for (const [id, entry] of entries) if (entry.seq <= floor) entries.delete(id);
        const at = now();
        for (const { id, raw, ttlMs } of snapshot.records) {
          if (!entries.has(id)) entries.set(id, { record: parse(raw), seq: floor, expiresAt: at + ttlMs });
        }
        if (lost) {
          // Messages stopped arriving without the connection closing (an idle link dropped on
          // the way): connect again; 'ready' subscribes and reads the whole copy.
          generation++;
          forget();
          subscriber.disconnect(true);
          return;
        }
        synced = true;
        backoff = retryMs;
      })
      // A failed snapshot leaves the copy as it was; the timer tries again.
      .catch(() => undefined)
      .finally(() => {
        if (resyncing?.done === done) resyncing = null;
        if (started === generation) schedule();
      });
    resyncing = { generation: started, done };
    return done;
  };

  const subscribe = () => {
    if (closed) return;
    subscriber
      .subscribe(channel)
      .then(resync)
      .catch(() => schedule());
  };

  function tick() {
    if (closed || subscriber.status !== 'ready') return;
    if (synced) void resync();
    else subscribe();
  }

  subscriber.on('message', (from: string, text: string) => {
    if (from !== channel) return;
    const message = parseMessage(text);
    if (!message) return;
    if (complete !== null && epoch === '' && message.seq === complete + 1) epoch = message.epoch;
    const gap = complete !== null && (message.epoch !== epoch || message.seq > complete + 1);
    if (gap) {
      // A message was lost, or the counter restarted: read everything again now.
      generation++;
      highest = 0;
      forget();
      backoff = retryMs;
      void resync();
      return;
    }
    if (message.epoch !== highestEpoch) highest = 0;
    highestEpoch = message.epoch;
    highest = Math.max(highest, message.seq);
    if (complete !== null && message.seq === complete + 1) complete = message.seq;
    keep(message.seq, message.id, message.ttlMs, message.record);
  });
  const drop = () => {
    generation++;
    highest = 0;
    forget();
  };
  subscriber.on('close', drop);
  subscriber.on('end', drop);
  // Every 'ready' (the first, and each reconnect) subscribes and then reads the whole copy.
  subscriber.on('ready', subscribe);
  if (subscriber.status === 'ready') subscribe();

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
    refresh() {
      if (!synced) tick();
    },
    close() {
      closed = true;
      clearTimeout(timer);
      drop();
    },
  };
}

const parse = (raw: string): HealthRecord | undefined =>
  raw === '' ? undefined : (JSON.parse(raw) as HealthRecord);

/** `<epoch>\n<seq>\n<ttl ms>\n<id>\n<record JSON, empty when deleted>` (ids and JSON hold no newline). */
function parseMessage(
  text: string,
): { epoch: string; seq: number; ttlMs: number; id: string; record: HealthRecord | undefined } | null {
  const e = text.indexOf('\n');
  if (e < 0) return null;
  const epoch = text.slice(0, e);
  const rest = parseRest(text.slice(e + 1));
  return rest && { epoch, ...rest };
}

function parseRest(
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
