import type { UsageRecord } from '../spec/usage.js';
import type { RollupRow } from '../storage/accounting-ports.js';
import type { KeyRecord } from '../storage/ports.js';

/**
 * The two internal endpoints an origin serves its edge Workers (mounted only with EDGE_SECRET
 * set; every request signed, edge-signature.ts). Nothing here carries a client key's secret:
 * keys are looked up by their SHA-256, which is all the gateway stores of them.
 */
export const EDGE_KEY_LOOKUP_PATH = '/internal/edge/keys/lookup';
export const EDGE_USAGE_PATH = '/internal/edge/usage';
export const EDGE_ROLLUPS_PATH = '/internal/edge/rollups';

/** `POST /internal/edge/keys/lookup` body. */
export interface EdgeKeyLookup {
  /** Hex SHA-256 of the client key. */
  readonly hash: string;
}

/** What the edge needs of a key's owner: whether it may use its keys (no name, e-mail or notes). */
export interface EdgeKeyOwner {
  readonly id: string;
  readonly enabled: boolean;
}

/**
 * The answer: the key record (BYOK key still sealed) and its owner, or nulls when unknown; and
 * the origin's currency (that of its prices, src/config/price-currency.ts), which the costs the
 * edge sends are added up in: an edge priced in another one serves no key (edge-storage.ts).
 * An origin older than this field sends none.
 */
export interface EdgeKeyAnswer {
  readonly key: KeyRecord | null;
  readonly user: EdgeKeyOwner | null;
  readonly currency?: string;
}

/**
 * The most one usage batch may hold: the edge splits a longer backlog (after an outage, say) into
 * batches within both bounds, and the origin refuses a larger body unread (413).
 */
export const EDGE_USAGE_MAX_RECORDS = 1_000;
export const EDGE_USAGE_MAX_BYTES = 4 * 1024 * 1024;
/** The key lookup and rollups bodies are a hash or a key id and two numbers: well under this. */
export const EDGE_QUERY_MAX_BYTES = 4 * 1024;

/** `POST /internal/edge/usage` body: one batch of the edge's usage records. */
export interface EdgeUsageBatch {
  /** Random per batch, kept across the edge's retries of it. */
  readonly batchId: string;
  /**
   * The edge's currency, that of the costs in `records`: the origin refuses a batch in another
   * than its own (409 currency_mismatch). An edge older than this field sends none, and its
   * batch is taken as priced in the origin's currency.
   */
  readonly currency?: string;
  readonly records: readonly UsageRecord[];
}

/** The answer: how many records the batch held, and whether this batch id was seen before. */
export interface EdgeUsageAnswer {
  readonly received: number;
  readonly duplicate: boolean;
}

/**
 * `POST /internal/edge/rollups` body: the hourly rollups of one key or one user, which is what
 * a budget reads to start its window from the spend on record (usage/build-accounting.ts).
 */
export interface EdgeRollupQuery {
  readonly dimension: 'key' | 'user';
  readonly value: string;
  readonly from: number;
  readonly to: number;
}

export interface EdgeRollupAnswer {
  readonly rows: readonly RollupRow[];
}

/** A hex SHA-256, as keys are stored. */
export const KEY_HASH = /^[0-9a-f]{64}$/;
