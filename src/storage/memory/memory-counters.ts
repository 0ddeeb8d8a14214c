import { windowAt } from '../../limits/windows.js';
import type {
  ClaimState,
  CounterClaim,
  CounterRef,
  CounterStore,
  CounterTicket,
} from '../accounting-ports.js';
import { seedAbsent } from '../seed-claims.js';

interface Cell {
  value: number;
  expiresAt: number;
}

export interface MemoryCounterOptions {
  /** The store's clock (tests inject one); windows and lease expiry follow it. */
  readonly now?: () => number;
}

/**
 * Counters for one process. Each call runs to completion without awaiting (but for `seed`'s
 * loader, which a take runs first), so `take` is atomic with respect to every other request in the process.
 */
export function createMemoryCounterStore(options: MemoryCounterOptions = {}): CounterStore {
  const now = options.now ?? Date.now;
  const cells = new Map<string, Cell>();
  /** Lease set id → lease id → expiry. */
  const leases = new Map<string, Map<string, number>>();
  let lastSweep = Number.NEGATIVE_INFINITY;
  let serial = 0;
  /**
   * This instance, in its lease ids and tickets. The counter object is rebuilt on every deploy
   * and eviction, while requests that took from the old one may still settle: their lease ids
   * would name new requests' leases, and their corrections apply to counts they never added.
   */
  const issuer = crypto.randomUUID();
  const ownTicket = (ticket: CounterTicket) => ticket.issuer === undefined || ticket.issuer === issuer;

  const cellId = (ref: Pick<CounterRef, 'partition' | 'name'>, start: number) =>
    `${ref.partition}\u0000${ref.name}\u0000${start}`;
  const leaseSetId = (ref: Pick<CounterRef, 'partition' | 'name'>) => `${ref.partition}\u0000${ref.name}`;
  const read = (id: string, at: number): Cell | undefined => {
    const cell = cells.get(id);
    return cell && cell.expiresAt > at ? cell : undefined;
  };
  const liveLeases = (ref: Pick<CounterRef, 'partition' | 'name'>, at: number): number => {
    const set = leases.get(leaseSetId(ref));
    if (!set) return 0;
    for (const [id, expiresAt] of set) if (expiresAt <= at) set.delete(id);
    return set.size;
  };
  const sweep = (at: number) => {
    // Expired windows are dropped at most once a second, so memory follows active keys only.
    if (at - lastSweep < 1_000) return;
    lastSweep = at;
    for (const [id, cell] of cells) if (cell.expiresAt <= at) cells.delete(id);
    for (const [id, set] of leases) {
      for (const [lease, expiresAt] of set) if (expiresAt <= at) set.delete(lease);
      if (set.size === 0) leases.delete(id);
    }
  };
  const add = (id: string, amount: number, expiresAt: number, at: number) => {
    const cell = read(id, at);
    if (cell) cell.value += amount;
    else cells.set(id, { value: amount, expiresAt });
  };

  const store: CounterStore = {
    async take(claims, { leaseTtlMs }) {
      // Seeding may await its loader; what follows does not, so the take stays atomic.
      const seeding = seedAbsent(store, claims);
      if (seeding) await seeding;
      const at = now();
      sweep(at);
      const windows = claims.map((c) => (c.kind === 'count' ? windowAt(c.window, at) : null));
      const used = claims.map((c, i) => {
        const window = windows[i];
        return window ? (read(cellId(c, window.start), at)?.value ?? 0) : liveLeases(c, at);
      });
      const stateOf = (c: CounterClaim, i: number, value: number): ClaimState => {
        const end = windows[i]?.end ?? Number.POSITIVE_INFINITY;
        return { used: value, limit: c.limit, resetMs: Number.isFinite(end) ? end - at : null };
      };
      // At the limit already fails too, so a request with a zero estimate cannot slip past a spent budget.
      const failed = claims.findIndex((c, i) => {
        const u = used[i] ?? 0;
        return u >= c.limit || (c.kind === 'count' && u + c.amount > c.limit);
      });
      if (failed !== -1)
        return { ok: false, states: claims.map((c, i) => stateOf(c, i, used[i] ?? 0)), failed };
      const hasLease = claims.some((c) => c.kind === 'lease');
      const lease = hasLease ? { id: `${issuer}:${++serial}`, expiresAt: at + leaseTtlMs } : null;
      claims.forEach((c, i) => {
        const window = windows[i];
        if (c.kind === 'count' && window) add(cellId(c, window.start), c.amount, window.end, at);
        if (c.kind === 'lease' && lease) {
          const id = leaseSetId(c);
          const set = leases.get(id) ?? new Map<string, number>();
          set.set(lease.id, lease.expiresAt);
          leases.set(id, set);
        }
      });
      const ticket: CounterTicket = {
        claims: claims.map(refOf),
        windowStarts: windows.map((w) => w?.start ?? 0),
        lease,
        issuer,
      };
      const after = claims.map((c, i) => (used[i] ?? 0) + (c.kind === 'count' ? c.amount : 1));
      return { ok: true, states: claims.map((c, i) => stateOf(c, i, after[i] ?? 0)), ticket };
    },
    async settle(ticket, deltas) {
      if (!ownTicket(ticket)) return;
      const at = now();
      ticket.claims.forEach((ref, i) => {
        if (ref.kind === 'lease') {
          if (ticket.lease) leases.get(leaseSetId(ref))?.delete(ticket.lease.id);
          return;
        }
        const delta = deltas[i] ?? 0;
        const start = ticket.windowStarts[i] ?? 0;
        // A window that has ended is gone; there is nothing left to correct.
        const cell = read(cellId(ref, start), at);
        if (cell && delta !== 0) cell.value += delta;
      });
    },
    async renew(ticket, ttlMs) {
      if (!ticket.lease || !ownTicket(ticket)) return false;
      const at = now();
      let held = false;
      for (const ref of ticket.claims) {
        if (ref.kind !== 'lease') continue;
        const set = leases.get(leaseSetId(ref));
        const expiresAt = set?.get(ticket.lease.id);
        if (set && expiresAt !== undefined && expiresAt > at) {
          set.set(ticket.lease.id, at + ttlMs);
          held = true;
        }
      }
      return held;
    },
    async seed(ref, amount) {
      const window = windowAt(ref.window, now());
      const id = cellId(ref, window.start);
      if (read(id, now())) return false;
      const value = await amount(window.start);
      // Checked again after the await: another caller may have seeded or counted meanwhile.
      if (read(id, now())) return false;
      cells.set(id, { value, expiresAt: window.end });
      return true;
    },
    async peek(ref) {
      const at = now();
      if (ref.kind === 'lease') return liveLeases(ref, at);
      return read(cellId(ref, windowAt(ref.window, at).start), at)?.value ?? 0;
    },
  };
  return store;
}

function refOf(claim: CounterClaim): CounterRef {
  return claim.kind === 'count'
    ? { kind: 'count', partition: claim.partition, name: claim.name, window: claim.window }
    : { kind: 'lease', partition: claim.partition, name: claim.name };
}
