import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type {
  ClaimState,
  CounterClaim,
  CounterRef,
  CounterStore,
  CounterTicket,
} from '../accounting-ports.js';
import { readSeed } from '../seed-claims.js';
import { callsByTurn } from './calls-by-turn.js';
import { PEEK, RENEW, SEED, SETTLE, TAKE } from './counter-scripts.js';
import type { RedisLink } from './redis-link.js';

export interface RedisCounterOptions {
  /**
   * A clock in place of the server's `TIME` (tests drive one). Absent in production: every
   * instance then counts in the windows of the one Redis clock.
   */
  readonly now?: () => number;
}

/** One take or settle in a turn's script call: its claims' base keys and its own arguments. */
interface TakeCall {
  readonly keys: readonly string[];
  readonly args: readonly (string | number)[];
}

/** The take script's answer, read from its one string (counter-scripts.ts, TAKE). */
interface TakeReply {
  /** 1 taken, 0 refused, 2 seed first. */
  readonly status: number;
  readonly failed: number;
  readonly now: number;
  /** Per claim: the count, or null for a seeded count that is absent (status 2). */
  readonly used: (number | null)[];
  readonly starts: number[];
  readonly ends: number[];
}

/** Take rounds that seed absent counters before one that counts from what is there. */
const SEED_ROUNDS = 3;

type Script = (numKeys: number, ...args: (string | number)[]) => Promise<unknown>;

/** The scripts as ioredis commands: EVALSHA, with EVAL when the server has not cached one yet. */
interface Scripts {
  readonly take: Script;
  readonly settle: Script;
  readonly renew: Script;
  readonly peek: Script;
  readonly seed: Script;
}

const COMMANDS = {
  take: ['switchboardCounterTake', TAKE],
  settle: ['switchboardCounterSettle', SETTLE],
  renew: ['switchboardCounterRenew', RENEW],
  peek: ['switchboardCounterPeek', PEEK],
  seed: ['switchboardCounterSeed', SEED],
} as const;

function defineScripts(client: Redis): Scripts {
  const commands = client as unknown as Record<string, Script>;
  const bind = ([name, lua]: readonly [string, string]): Script => {
    // Defined once per client; every store on the link uses the same commands.
    if (typeof commands[name] !== 'function') client.defineCommand(name, { lua });
    const command = commands[name] as Script;
    return (...args) => command.apply(client, args);
  };
  return {
    take: bind(COMMANDS.take),
    settle: bind(COMMANDS.settle),
    renew: bind(COMMANDS.renew),
    peek: bind(COMMANDS.peek),
    seed: bind(COMMANDS.seed),
  };
}

/**
 * Limit counters every instance on one Redis shares exactly: each operation is one Lua script,
 * atomic on the server, on the server's clock (src/storage/redis/counter-scripts.ts). Commands
 * fail while the link is down; src/storage/fallback-counters.ts turns that into per-process
 * limits.
 */
export function createRedisCounterStore(link: RedisLink, options: RedisCounterOptions = {}): CounterStore {
  const scripts = defineScripts(link.client);
  const clock = () => (options.now ? String(options.now()) : '');
  // The partition is a hash tag: one partition's counters would stay on one cluster node.
  const base = (ref: Pick<CounterRef, 'partition' | 'name'>) =>
    `${link.prefix}limit:{${ref.partition}}:${ref.name}`;

  // Lease ids: unique across instances by the prefix, within this one by the serial.
  const leasePrefix = randomUUID();
  let leaseSerial = 0;
  /** Seeds in flight by counter key and window: concurrent takes that found it absent share one. */
  const seeding = new Map<string, Promise<unknown>>();
  const seedAt = (claim: CounterClaim, key: string, start: number): Promise<unknown> => {
    if (claim.kind !== 'count' || !claim.seed) return Promise.resolve();
    const id = `${key}:${start}`;
    let pending = seeding.get(id);
    if (!pending) {
      const load = claim.seed;
      // The script's SET NX decides: a count made while the amount loaded is never overwritten.
      pending = readSeed(load, start)
        .then((loaded) => scripts.seed(1, key, clock(), claim.window, start, loaded))
        .finally(() => seeding.delete(id));
      seeding.set(id, pending);
    }
    return pending;
  };

  // A turn's takes, and its settles, each go to Redis as one script call (calls-by-turn.ts).
  const takeInTurn = callsByTurn<TakeCall, string>(link.turn, (calls) => {
    const { keys, args } = scriptCall([clock(), calls.length], calls);
    return scripts.take(keys.length, ...keys, ...args) as Promise<string[]>;
  });
  const settleInTurn = callsByTurn<TakeCall, number>(link.turn, (calls) => {
    const { keys, args } = scriptCall([calls.length], calls);
    return scripts.settle(keys.length, ...keys, ...args) as Promise<number[]>;
  });

  return {
    async take(claims, { leaseTtlMs }) {
      const hasLease = claims.some((c) => c.kind === 'lease');
      const leaseId = hasLease ? `${leasePrefix}:${++leaseSerial}` : '';
      const keys = claims.map(base);
      let reply: TakeReply;
      for (let round = 0; ; round++) {
        // A seeded counter absent from Redis (a new window, a restarted server) is seeded from its
        // loader and the take runs again; after a few rounds (windows turning meanwhile) it counts
        // from what is there.
        const seeds = round < SEED_ROUNDS;
        const args: (string | number)[] = [claims.length, leaseTtlMs, leaseId];
        for (const c of claims) {
          if (c.kind === 'count')
            args.push(seeds && c.seed ? 'seeded' : 'count', c.window, c.amount, c.limit);
          else args.push('lease', '', 0, c.limit);
        }
        reply = readTakeReply(await takeInTurn({ keys, args }), claims.length);
        if (reply.status !== 2) break;
        const { used, starts } = reply;
        await Promise.all(
          claims.map((claim, i) => {
            const key = keys[i];
            return used[i] === null && key ? seedAt(claim, key, starts[i] ?? 0) : undefined;
          }),
        );
      }
      const { status, failed, now, used, starts, ends } = reply;
      const states = claims.map(
        (c, i): ClaimState => ({
          used: used[i] ?? 0,
          limit: c.limit,
          resetMs: c.kind === 'lease' || (ends[i] ?? -1) === -1 ? null : (ends[i] ?? 0) - now,
        }),
      );
      if (status !== 1) return { ok: false, states, failed };
      const ticket: CounterTicket = {
        claims: claims.map(refOf),
        windowStarts: claims.map((_, i) => starts[i] ?? 0),
        lease: hasLease ? { id: leaseId, expiresAt: now + leaseTtlMs } : null,
      };
      return { ok: true, states, ticket };
    },
    async settle(ticket, deltas) {
      const args: (string | number)[] = [ticket.claims.length, ticket.lease?.id ?? ''];
      ticket.claims.forEach((ref, i) => {
        args.push(ref.kind, String(ticket.windowStarts[i] ?? 0), ref.kind === 'count' ? (deltas[i] ?? 0) : 0);
      });
      await settleInTurn({ keys: ticket.claims.map(base), args });
    },
    async renew(ticket, ttlMs) {
      if (!ticket.lease) return false;
      const sets = ticket.claims.filter((ref) => ref.kind === 'lease').map(base);
      if (sets.length === 0) return false;
      return (await scripts.renew(sets.length, ...sets, clock(), ticket.lease.id, ttlMs)) === 1;
    },
    async seed(ref, amount) {
      const [, start, exists] = (await scripts.peek(1, base(ref), clock(), 'count', ref.window)) as [
        string,
        number,
        number,
      ];
      if (exists === 1) return false;
      // The script's SET NX decides: a count made while the amount loaded is never overwritten.
      const loaded = await readSeed(amount, start);
      return (await scripts.seed(1, base(ref), clock(), ref.window, start, loaded)) === 1;
    },
    async peek(ref) {
      const window = ref.kind === 'count' ? ref.window : '';
      const [value] = (await scripts.peek(1, base(ref), clock(), ref.kind, window)) as [string, number];
      return Number(value);
    },
  };
}

/** The take script's reply for one take of `claims` claims (counter-scripts.ts, TAKE). */
function readTakeReply(text: string, claims: number): TakeReply {
  const fields = text.split(' ');
  if (fields.length !== 3 + 3 * claims)
    throw new Error(`redis: a take reply holds ${fields.length} fields, not ${3 + 3 * claims}`);
  const used: (number | null)[] = [];
  const starts: number[] = [];
  const ends: number[] = [];
  for (let f = 3; f < fields.length; f += 3) {
    const count = fields[f];
    used.push(count === '-' ? null : Number(count));
    starts.push(Number(fields[f + 1]));
    ends.push(Number(fields[f + 2]));
  }
  return { status: Number(fields[0]), failed: Number(fields[1]), now: Number(fields[2]), used, starts, ends };
}

/** One script call for a turn's calls: their keys one after the other, `head` then their arguments. */
function scriptCall(head: (string | number)[], calls: readonly TakeCall[]): TakeCall {
  const keys: string[] = [];
  const args = head;
  for (const call of calls) {
    keys.push(...call.keys);
    args.push(...call.args);
  }
  return { keys, args };
}

function refOf(claim: CounterClaim): CounterRef {
  return claim.kind === 'count'
    ? { kind: 'count', partition: claim.partition, name: claim.name, window: claim.window }
    : { kind: 'lease', partition: claim.partition, name: claim.name };
}
