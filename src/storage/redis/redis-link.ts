import { Redis } from 'ioredis';
import { urlForLog } from '../../http/redact-url.js';
import type { Logger } from '../../spec/logger.js';
import { createStallCircuit, type StallCircuit } from '../stall-circuit.js';
import { type TurnWrites, writeByTurn } from './turn-writes.js';

/**
 * One process's connection to the shared Redis, and whether it answers right now. Every Redis
 * store takes a link and a key prefix; a store whose command fails while the link is down falls
 * back to this process alone (docs/deployment.md, "When Redis fails") and recovers when the
 * link comes back.
 */
export interface RedisLink {
  /** Commands; they reject at once while the link is down (no offline queue). */
  readonly client: Redis;
  /** Prepended to every key this gateway writes, so several deployments can share one Redis. */
  readonly prefix: string;
  /** True while the connection is ready. */
  up(): boolean;
  /**
   * Whether commands should go to Redis now: false while the link is down, and after a command
   * timed out on it (a stalled server) until, a second later or more, a PING is answered. Every
   * store on the link shares it.
   */
  readonly circuit: StallCircuit;
  /** When the connection writes: for stores that send a turn's calls as one command (calls-by-turn.ts). */
  readonly turn: TurnWrites;
  /** Calls `listener` on every change of `up()`; returns a function that stops it. */
  onChange(listener: (up: boolean) => void): () => void;
  /** A second connection to the same server (pub/sub needs its own); closed with the link. */
  duplicate(): Redis;
  close(): Promise<void>;
}

export interface RedisLinkOptions {
  readonly logger: Logger;
  /** Default `switchboard:`. */
  readonly prefix?: string;
  /**
   * A command that takes longer fails (default 2 000 ms): a stalled Redis must not stall requests.
   * Counted from when a command is issued (each is written at once or by the turn's end:
   * turn-writes.ts).
   */
  readonly commandTimeoutMs?: number;
  /** After a command timed out, how long every store leaves Redis alone before a PING tries it (default 1 000 ms). */
  readonly stallRetryMs?: number;
  readonly now?: () => number;
}

/** Connects to REDIS_URL; resolves once it answers, or after the first failure (then degraded). */
export async function openRedisLink(url: string, options: RedisLinkOptions): Promise<RedisLink> {
  const { logger } = options;
  const settings = {
    lazyConnect: true,
    enableOfflineQueue: false,
    // Not auto-pipelining: it holds a turn's commands back while an earlier batch waits for its
    // replies. The link batches writes by turn instead (turn-writes.ts).
    enableAutoPipelining: false,
    maxRetriesPerRequest: 1,
    // A command whose reply was lost with its connection fails; it is not sent again on the next
    // connection. Redis may have run it already, and the limit scripts are not idempotent: a
    // settle sent twice refunds twice (test/resilience/redis-reply-lost.test.ts). Callers treat the
    // failure as the link being down (a take counts in the process, a usage write is retried
    // under its entry, which the shipper de-duplicates).
    autoResendUnfulfilledCommands: false,
    connectTimeout: 2_000,
    commandTimeout: options.commandTimeoutMs ?? 2_000,
    // Keep trying for as long as the process runs: at most every 2 s.
    retryStrategy: (times: number) => Math.min(times * 200, 2_000),
  } as const;
  const client = new Redis(url, settings);
  const turn = writeByTurn(client);
  const extra: Redis[] = [];
  const listeners = new Set<(up: boolean) => void>();
  let ready = false;
  const circuit = createStallCircuit(() => ready, {
    retryAfterMs: options.stallRetryMs,
    now: options.now,
    probe: () => client.ping(),
  });
  const set = (next: boolean) => {
    if (next === ready) return;
    ready = next;
    // A fresh connection ends a stall too; reset before the stores hear of it.
    if (next) circuit.reset();
    if (next) logger.info({ redis: redactRedisUrl(url) }, 'redis: connected');
    else
      logger.warn(
        { redis: redactRedisUrl(url) },
        'redis: unreachable; limits, health and cache are per process until it returns',
      );
    for (const listener of listeners) listener(next);
  };
  client.on('ready', () => set(true));
  client.on('close', () => set(false));
  client.on('end', () => set(false));
  // ioredis emits an error per failed reconnect; the state change above already said it once.
  client.on('error', () => {});
  try {
    await client.connect();
  } catch {
    set(false);
  }
  return {
    client,
    prefix: options.prefix ?? 'switchboard:',
    up: () => ready,
    circuit,
    turn,
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    duplicate() {
      const copy = client.duplicate({ ...settings, lazyConnect: false, enableOfflineQueue: true });
      copy.on('error', () => {});
      extra.push(copy);
      return copy;
    },
    async close() {
      listeners.clear();
      for (const c of [client, ...extra]) c.disconnect();
    },
  };
}

/** `redis://user:pass@host:6379/0` → `redis://host:6379/0`: never the password in a log. */
export function redactRedisUrl(url: string): string {
  return urlForLog(url, '6379') ?? 'redis://(unparsable)';
}
