import type { HealthCheck } from '../spec/health-check.js';
import type { Logger } from '../spec/logger.js';
import type { CounterRef, CounterStore, CounterTicket } from './accounting-ports.js';
import { SeedReadError } from './seed-claims.js';
import type { StallCircuit } from './stall-circuit.js';

/** What the fallback needs of the shared backend's connection (a RedisLink has it). */
export interface SharedLink {
  up(): boolean;
  onChange(listener: (up: boolean) => void): () => void;
  /** Shared with the link's other stores: a stall one of them met keeps all of them local. */
  readonly circuit: StallCircuit;
}

export interface FallbackCounterOptions {
  /** The store every instance shares (Redis). */
  readonly shared: CounterStore;
  /** This process's store, used while the shared one is unreachable. */
  readonly local: CounterStore;
  readonly link: SharedLink;
  readonly logger: Logger;
}

export interface FallbackCounters {
  readonly store: CounterStore;
  /** True while new takes go to the shared store. */
  shared(): boolean;
  /** `limits` in `GET /health`: shared, or per process (degraded) while the shared store is away. */
  readonly check: HealthCheck;
  /** Stops following the link. */
  close(): void;
}

export const LIMITS_SHARED = 'shared';
export const LIMITS_PER_PROCESS = 'per-process (redis unreachable)';

/** Settles held while the link is down, sent when it is back; past this the oldest are dropped. */
const MAX_HELD_SETTLES = 10_000;
/** Counts added to the shared store per settle script. */
const MERGE_CHUNK = 100;

/**
 * Limits shared through Redis, and per process while Redis is unreachable: serving with limits
 * that can overshoot (by up to the number of instances × the limit, for the outage) beats
 * refusing every request because the counter store is away. A take goes to the shared store
 * while the link's circuit lets it (stall-circuit.ts: the link is up, and no command on it timed
 * out in the last second); otherwise, or when a command fails for want of the server (not a
 * script error, nor a failed read of the amount a counter is seeded from: seed-claims.ts), it
 * goes to this process's store, with one warning per outage. Tickets remember which store issued
 * them, so a request settles and renews where it was counted; when the link is back, new takes
 * are shared again, and what this process counted meanwhile (takes and their settles, also those
 * that end later) is added to the shared counts of windows that still exist there, so the
 * overshoot ends with the outage instead of lasting until the window ends (a month, for a
 * monthly budget).
 */
export function createFallbackCounters(options: FallbackCounterOptions): FallbackCounters {
  const { shared, local, link, logger } = options;
  /** Tickets the local store issued; the others are the shared store's (tickets are plain data). */
  const localTickets = new WeakSet<CounterTicket>();
  let warned = false;

  const sharedUsable = () => link.circuit.usable();
  const fellBack = (err: unknown) => {
    if (warned) return;
    warned = true;
    logger.warn(
      { limits: 'per-process', ...(err === null ? {} : { err: describe(err) }) },
      'limits: redis unreachable; counting in this process until it returns (limits may overshoot by up to the number of instances)',
    );
  };
  const recovered = () => {
    if (!warned) return;
    warned = false;
    logger.info({ limits: 'shared' }, 'limits: redis is back; limits are shared again');
  };
  /**
   * Settles of shared tickets that could not be sent (the connection was down): sent when the
   * link is back, so a request that ended during a reconnect still has its budget corrected and
   * its slot freed. Only settles Redis surely did not run: one sent whose reply was lost may have
   * run, and is not sent again (the scripts are not idempotent).
   */
  let held: { ticket: CounterTicket; deltas: readonly number[] }[] = [];
  const hold = (ticket: CounterTicket, deltas: readonly number[]) => {
    held.push({ ticket, deltas });
    if (held.length > MAX_HELD_SETTLES) {
      held.shift();
      logger.warn(
        { dropped: 1 },
        'limits: a settle held for redis was dropped (too many held); its lease lapses by its TTL',
      );
    }
  };
  const sendHeld = () => {
    const again = held;
    held = [];
    for (const { ticket, deltas } of again)
      void settleShared(ticket, deltas).catch((err: unknown) =>
        logger.warn({ err: describe(err) }, 'limits: a held settle failed'),
      );
  };
  const settleShared = async (ticket: CounterTicket, deltas: readonly number[]) => {
    if (!link.up()) {
      hold(ticket, deltas);
      return;
    }
    try {
      await shared.settle(ticket, deltas);
    } catch (err) {
      if (!link.circuit.failed(err)) throw err;
      if (neverSent(err)) {
        hold(ticket, deltas);
        return;
      }
      // Sent, then the connection failed or timed out: Redis may have run it. Its lease lapses by
      // its TTL and the count stands as estimated; nothing to gain from failing the caller's
      // deferred work.
      logger.debug({ err: describe(err) }, 'limits: settle lost while redis is unreachable');
    }
  };
  /**
   * What local tickets counted that the shared store has not been told of, by counter window:
   * added to the shared counts (as a settle: only to windows that exist there; an absent one is
   * seeded from the database or starts empty) once it answers again.
   */
  let owed = new Map<string, { ref: CounterRef; start: number; amount: number }>();
  const owe = (ticket: CounterTicket, amounts: readonly number[]) => {
    ticket.claims.forEach((ref, i) => {
      const amount = amounts[i] ?? 0;
      if (ref.kind !== 'count' || amount === 0) return;
      const start = ticket.windowStarts[i] ?? 0;
      const id = `${ref.partition}\u0000${ref.name}\u0000${ref.window}\u0000${start}`;
      const entry = owed.get(id);
      if (entry) entry.amount += amount;
      else owed.set(id, { ref, start, amount });
    });
  };
  const sendOwed = () => {
    if (owed.size === 0) return;
    const entries = [...owed.values()];
    owed = new Map();
    for (let i = 0; i < entries.length; i += MERGE_CHUNK) {
      const chunk = entries.slice(i, i + MERGE_CHUNK);
      const ticket: CounterTicket = {
        claims: chunk.map((e) => e.ref),
        windowStarts: chunk.map((e) => e.start),
        lease: null,
      };
      void settleShared(
        ticket,
        chunk.map((e) => e.amount),
      ).catch((err: unknown) =>
        logger.warn({ err: describe(err) }, 'limits: counts made in this process not added to redis'),
      );
    }
  };
  const stop = link.onChange((up) => {
    if (up) {
      recovered();
      sendHeld();
      sendOwed();
    } else fellBack(null);
  });

  /** Runs `op` on the shared store, or on the local one when the shared store is unreachable. */
  async function either<T>(op: (store: CounterStore) => Promise<T>): Promise<T> {
    if (!sharedUsable()) {
      fellBack(null);
      return op(local);
    }
    try {
      const result = await op(shared);
      recovered();
      // Back after a stall (the connection stayed up): what was counted meanwhile goes too.
      sendOwed();
      return result;
    } catch (err) {
      // The database failed while seeding a counter: the shared store answered, and the local
      // one would need the same read.
      if (err instanceof SeedReadError || !link.circuit.failed(err)) throw err;
      // A command that timed out may still run once Redis catches up: a take then counts in
      // both stores (errs towards refusing), and a lease it took there lapses by its TTL.
      fellBack(err);
      return op(local);
    }
  }

  const store: CounterStore = {
    async take(claims, takeOptions) {
      let usedLocal = false;
      const taken = await either((s) => {
        usedLocal = s === local;
        return s.take(claims, takeOptions);
      });
      if (taken.ok && usedLocal) {
        localTickets.add(taken.ticket);
        owe(
          taken.ticket,
          claims.map((c) => (c.kind === 'count' ? c.amount : 0)),
        );
      }
      return taken;
    },
    async settle(ticket, deltas) {
      if (!localTickets.has(ticket)) return settleShared(ticket, deltas);
      await local.settle(ticket, deltas);
      owe(ticket, deltas);
      if (sharedUsable()) sendOwed();
    },
    async renew(ticket, ttlMs) {
      // A failed shared renewal rejects: the caller keeps trying rather than give up a slot
      // it may still hold.
      return localTickets.has(ticket) ? local.renew(ticket, ttlMs) : shared.renew(ticket, ttlMs);
    },
    seed: (ref, amount) => either((s) => s.seed(ref, amount)),
    peek: (ref) => either((s) => s.peek(ref)),
  };

  return {
    store,
    shared: sharedUsable,
    check: {
      name: 'limits',
      check: () => {
        const ok = sharedUsable();
        return { degraded: !ok, detail: ok ? LIMITS_SHARED : LIMITS_PER_PROCESS };
      },
    },
    close() {
      stop();
      held = [];
      owed = new Map();
    },
  };
}

/**
 * ioredis refuses a command without sending it while its connection is not writable (the
 * gateway's link keeps no offline queue): Redis surely did not run it.
 */
function neverSent(err: unknown): boolean {
  return err instanceof Error && err.message.startsWith("Stream isn't writeable");
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
