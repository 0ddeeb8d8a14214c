import type { JsonObject } from '../spec/json.js';

/** One stored Responses API answer: its response object and the conversation it answered. */
export interface StoredResponse {
  /** `resp_…`, as the client saw it. */
  readonly id: string;
  /** The tenant: only it may read, list or delete the entry. */
  readonly owner: string;
  /** Epoch ms. */
  readonly createdAt: number;
  /** Epoch ms after which the entry is gone (as if deleted). */
  readonly expiresAt: number;
  /** The response object as the client received it. */
  readonly response: JsonObject;
  /** Every input item of the conversation up to this response, oldest first, each with an `id`. */
  readonly inputItems: readonly JsonObject[];
}

export interface InputItemsQuery {
  readonly limit: number;
  readonly order: 'asc' | 'desc';
  /** List after the item with this id (in `order`). */
  readonly after?: string;
}

export interface InputItemsPage {
  readonly items: readonly JsonObject[];
  readonly hasMore: boolean;
}

/**
 * Where Responses API answers are kept for `previous_response_id` and `GET /v1/responses/{id}`.
 * Reads never return another owner's entry, nor an expired one.
 */
export interface ResponseStore {
  /** Stores (or replaces) an entry. */
  put(entry: StoredResponse): Promise<void>;
  get(owner: string, id: string, now: number): Promise<StoredResponse | null>;
  /** Resolves to false when there was no such live entry of this owner. */
  delete(owner: string, id: string, now: number): Promise<boolean>;
  /** A page of an entry's input items; null when there is no such live entry of this owner. */
  listInputItems(
    owner: string,
    id: string,
    query: InputItemsQuery,
    now: number,
  ): Promise<InputItemsPage | null>;
  /** Drops entries expired at `now`; resolves to how many. */
  pruneExpired(now: number): Promise<number>;
}

/** The page of `items` a query asks for: every backend keeps items as one list and pages alike. */
export function pageInputItems(items: readonly JsonObject[], query: InputItemsQuery): InputItemsPage {
  const ordered = query.order === 'desc' ? [...items].reverse() : [...items];
  let start = 0;
  if (query.after !== undefined) {
    const at = ordered.findIndex((item) => item.id === query.after);
    start = at === -1 ? ordered.length : at + 1;
  }
  const page = ordered.slice(start, start + query.limit);
  return { items: page, hasMore: start + query.limit < ordered.length };
}
