import type { CounterClaim, CounterStore } from '../accounting-ports.js';

interface Cell {
  value: number;
  expiresAt: number;
}

/**
 * Counters for one process. Each call runs to completion without awaiting, so `take` is atomic
 * with respect to every other request in the process.
 */
export function createMemoryCounterStore(): CounterStore {
  const cells = new Map<string, Cell>();
  let lastSweep = 0;
  const id = (c: Pick<CounterClaim, 'name' | 'windowStart'>) => `${c.name}@${c.windowStart}`;
  const read = (c: Pick<CounterClaim, 'name' | 'windowStart'>, now: number): number => {
    const cell = cells.get(id(c));
    return cell && cell.expiresAt > now ? cell.value : 0;
  };
  const sweep = (now: number) => {
    // Expired windows are dropped at most once a second, so memory follows active keys only.
    if (now - lastSweep < 1_000) return;
    lastSweep = now;
    for (const [key, cell] of cells) if (cell.expiresAt <= now) cells.delete(key);
  };
  const add = (c: Omit<CounterClaim, 'limit'>, now: number) => {
    const key = id(c);
    const cell = cells.get(key);
    if (cell && cell.expiresAt > now) cell.value += c.amount;
    else cells.set(key, { value: c.amount, expiresAt: c.expiresAt });
  };
  return {
    async take(claims, now) {
      sweep(now);
      const used = claims.map((c) => read(c, now));
      // At the limit already fails too, so a request with a zero estimate cannot slip past a spent budget.
      const failed = claims.findIndex(
        (c, i) => (used[i] ?? 0) + c.amount > c.limit || (used[i] ?? 0) >= c.limit,
      );
      if (failed !== -1) return { ok: false, used, failed };
      for (const c of claims) add(c, now);
      return { ok: true, used: claims.map((c) => read(c, now)) };
    },
    async add(adjustments, now) {
      for (const c of adjustments) add(c, now);
    },
    async peek(claims, now) {
      return claims.map((c) => read(c, now));
    },
  };
}
