import {
  EDGE_KEY_LOOKUP_PATH,
  EDGE_ROLLUPS_PATH,
  EDGE_USAGE_MAX_BYTES,
  EDGE_USAGE_MAX_RECORDS,
  EDGE_USAGE_PATH,
  type EdgeKeyAnswer,
  type EdgeKeyLookup,
  type EdgeKeyOwner,
  type EdgeRollupAnswer,
  type EdgeRollupQuery,
  type EdgeUsageAnswer,
  type EdgeUsageBatch,
} from '../../../edge/edge-protocol.js';
import { GatewayError } from '../../../errors/gateway-error.js';
import type { Logger } from '../../../spec/logger.js';
import type { UsageRecord } from '../../../spec/usage.js';
import type { UsageStore } from '../../../storage/accounting-ports.js';
import { createMemoryAuditStore } from '../../../storage/memory/memory-audit.js';
import { createMemoryCacheStore } from '../../../storage/memory/memory-response-cache.js';
import { createMemorySessionStore } from '../../../storage/memory/memory-sessions.js';
import { createMemoryChannelStore, createMemoryMetaStore } from '../../../storage/memory/memory-stores.js';
import type { KeyStore, Storage, UserRecord, UserStore } from '../../../storage/ports.js';
import type { ResponseStore } from '../../../storage/response-store.js';
import { STORE_WRITE_MS } from '../../../usage/usage-writer.js';
import type { EdgeKeyCache } from './edge-key-cache.js';
import type { OriginClient } from './origin-client.js';

/** Usage batches are tried this many times within the request's waitUntil before going back to the buffer. */
const USAGE_ATTEMPTS = 3;
/**
 * A usage write (all its batches, attempts and waits) ends within this: Cloudflare cuts waitUntil
 * work off 30 s after the response, and a write cut off never tells the writer to try again. The
 * writer's held requests start no write that could not end within their hold in this time.
 */
const USAGE_WRITE_MS = STORE_WRITE_MS;

const MAX_OWNERS = 10_000;

/** What the edge refuses to do itself: keys, users and the usage log are managed on the origin. */
function originOnly(what: string): never {
  throw new Error(`${what} is not available at the edge: use the origin's admin API`);
}

/**
 * The Storage of a Worker in edge mode (docs/workers.md, "Edge and origin"): no database.
 * Client keys and their owners are read through the origin (cached, edge-key-cache.ts); usage
 * records are sent to it in signed batches; channels are the Worker's own CHANNELS, held in
 * memory (the origin's sealed upstream keys never leave it). The admin API is not served here.
 */
export function openEdgeStorage(deps: {
  readonly origin: OriginClient;
  readonly keyCache: EdgeKeyCache;
  readonly now: () => number;
  readonly logger: Logger;
  /** Stored responses (`previous_response_id`): KV's (kv-response-store.ts), or the isolate's. */
  readonly responses: ResponseStore;
  /** The edge's currency, that of its own prices: the origin's must be the same. */
  readonly currency: string;
}): Storage {
  const { origin, keyCache, now, logger } = deps;
  let mismatchLogged = false;
  /**
   * The edge prices its requests and budget reservations with its own prices, and the origin adds
   * those costs to its rollups and totals (a budget's spend on record among them) in its own
   * currency: in two currencies they would be yuan added to dollars. No key is served until both
   * agree; the log says why, once per isolate. An origin that names no currency (older than this
   * check) is taken at its word.
   */
  const checkCurrency = (answer: EdgeKeyAnswer): void => {
    if (answer.currency === undefined || answer.currency === deps.currency) return;
    if (!mismatchLogged) {
      mismatchLogged = true;
      logger.error(
        { edgeCurrency: deps.currency, originCurrency: answer.currency },
        `edge prices are in ${deps.currency} but the origin's are in ${answer.currency}: no key is served until both price in one currency (docs/workers.md)`,
      );
    }
    throw new GatewayError(
      'storage_unavailable',
      "this edge prices requests in another currency than its origin: the gateway's log says why",
    );
  };
  /**
   * The owner of each key looked up: the authenticator asks `users.get` right after
   * `keys.findByHash`, and the answer to one lookup carried both.
   */
  const owners = new Map<string, EdgeKeyOwner>();

  /**
   * Lookups in flight, by hash: a burst of requests with one new key asks the origin once. The
   * lookup's I/O belongs to the request that started it; the Worker holds every request in its
   * own waitUntil (worker.ts), so a starter whose client left still finishes it for the others.
   */
  const pending = new Map<string, Promise<EdgeKeyAnswer>>();
  const lookup = (hash: string): Promise<EdgeKeyAnswer> => {
    let running = pending.get(hash);
    if (!running) {
      running = lookupOnce(hash).finally(() => pending.delete(hash));
      pending.set(hash, running);
    }
    return running;
  };

  const lookupOnce = async (hash: string): Promise<EdgeKeyAnswer> => {
    const at = now();
    let answer = await keyCache.get(hash, at);
    if (!answer) {
      try {
        answer = await origin.post<EdgeKeyAnswer>(EDGE_KEY_LOOKUP_PATH, { hash } satisfies EdgeKeyLookup);
      } catch (err) {
        // The cause (the origin's status, a network error) goes to the log; the client gets a
        // retryable 503. Keys this isolate has checked keep their last answer meanwhile.
        logger.error({ err: String(err) }, 'edge key lookup failed');
        throw new GatewayError('storage_unavailable', 'the key cannot be checked right now; try again');
      }
      await keyCache.set(hash, answer, at);
    }
    checkCurrency(answer);
    if (answer.user) {
      // Newest last; the oldest goes one at a time. (Clearing the table at the bound would drop
      // the owner of a key another request has just read and is about to check: a valid key
      // refused, and that refusal cached.)
      owners.delete(answer.user.id);
      owners.set(answer.user.id, answer.user);
      if (owners.size > MAX_OWNERS) owners.delete(owners.keys().next().value as string);
    }
    return answer;
  };

  const keys: KeyStore = {
    findByHash: async (hash) => (await lookup(hash)).key,
    // Nothing is stored here: the secret check at start finds no BYOK key to check.
    list: async () => [],
    count: async () => 0,
    get: async () => null,
    create: () => originOnly('creating keys'),
    revoke: () => originOnly('revoking keys'),
    update: () => originOnly('changing keys'),
    replaceSecret: () => originOnly('rotating keys'),
    delete: () => originOnly('deleting keys'),
    deleteByUser: () => originOnly('deleting keys'),
  };

  const users: UserStore = {
    async get(id) {
      const owner = owners.get(id);
      if (!owner) return null;
      // Only what the key check reads; names and e-mail addresses stay on the origin.
      const user: UserRecord = {
        id: owner.id,
        name: owner.id,
        email: null,
        notes: null,
        enabled: owner.enabled,
        createdAt: 0,
        updatedAt: 0,
      };
      return user;
    },
    findByName: async () => null,
    list: async () => [],
    count: async () => 0,
    create: () => originOnly('creating users'),
    update: () => originOnly('changing users'),
    delete: () => originOnly('deleting users'),
  };

  const usage: UsageStore = {
    async insertBatch(records) {
      // After an outage the writer hands over its whole backlog: it goes in batches the origin
      // accepts. If a later batch fails the writer offers them all again; the origin skips the
      // records it already holds (request id and start time). A batch it refuses (a 4xx: another
      // currency, say) fails the write the same way: the writer keeps its records and offers them
      // again, for as long as the refusal lasts.
      const until = now() + USAGE_WRITE_MS;
      for (const chunk of usageBatches(records, logger)) {
        // One id for every attempt of this batch: the origin counts it once however often it arrives.
        // Its currency with it: an origin in another refuses the batch rather than add it up.
        const batch: EdgeUsageBatch = {
          batchId: crypto.randomUUID(),
          currency: deps.currency,
          records: chunk,
        };
        await origin.post<EdgeUsageAnswer>(EDGE_USAGE_PATH, batch, { attempts: USAGE_ATTEMPTS, until });
      }
    },
    list: () => originOnly('the usage log'),
    get: () => originOnly('the usage log'),
    // A budget starts its window from the spend on record: the origin's, which includes what
    // the edge has sent. Only one key's or one user's rows cross; the rest is the admin API's.
    async rollups(query) {
      if ((query.dimension !== 'key' && query.dimension !== 'user') || query.value === undefined)
        return originOnly('usage rollups');
      const body: EdgeRollupQuery = {
        dimension: query.dimension,
        value: query.value,
        from: query.from,
        to: Math.min(query.to, Number.MAX_SAFE_INTEGER),
      };
      return [...(await origin.post<EdgeRollupAnswer>(EDGE_ROLLUPS_PATH, body, { attempts: 2 })).rows];
    },
    buckets: () => originOnly('usage rollups'),
    lastUsedByKey: async () => new Map(),
    // The origin keeps (and prunes) the log.
    prune: async () => 0,
  };

  return {
    keys,
    users,
    channels: createMemoryChannelStore(),
    meta: createMemoryMetaStore(),
    sessions: createMemorySessionStore(),
    usage,
    audit: createMemoryAuditStore(),
    openResponseCache: createMemoryCacheStore,
    responses: deps.responses,
    ping: () => origin.ping(),
    async close() {},
  };
}

const encoder = new TextEncoder();

/** Room for the batch's own JSON around its records (the id, brackets, commas). */
const BATCH_ENVELOPE_BYTES = 1_024;

/**
 * `records` in runs within the origin's limits (EDGE_USAGE_MAX_RECORDS, EDGE_USAGE_MAX_BYTES of
 * JSON). A record too large to go alone is dropped with an error in the log: sent, it would be
 * refused every time and hold up the records behind it.
 */
function usageBatches(records: readonly UsageRecord[], logger: Logger): UsageRecord[][] {
  const budget = EDGE_USAGE_MAX_BYTES - BATCH_ENVELOPE_BYTES;
  const batches: UsageRecord[][] = [];
  let current: UsageRecord[] = [];
  let bytes = 0;
  for (const record of records) {
    // UTF-16 length bounds UTF-8 bytes only up to 3x; measure the bytes the origin will count.
    const size = encoder.encode(JSON.stringify(record)).length + 1;
    if (size > budget) {
      logger.error(
        { requestId: record.requestId, bytes: size },
        'usage record too large to send to the origin',
      );
      continue;
    }
    if (current.length >= EDGE_USAGE_MAX_RECORDS || bytes + size > budget) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(record);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
