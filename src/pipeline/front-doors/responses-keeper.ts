import type { MiddlewareHandler } from 'hono';
import type { GatewayEnv } from '../../http/context.js';
import { isJsonObject, type JsonObject } from '../../spec/json.js';
import type { Logger } from '../../spec/logger.js';
import type { Principal } from '../../spec/principal.js';
import { DEFAULT_USER_ID } from '../../storage/ports.js';
import type { ResponseStore } from '../../storage/response-store.js';
import { createSseParser } from '../../streaming/sse.js';

/** Where and how long Responses API answers are kept. */
export interface ResponsesKeeping {
  readonly store: ResponseStore;
  readonly ttlMs: number;
  readonly now: () => number;
  readonly logger: Logger;
}

/** What the front door decoded that the keeper needs once the answer is known. */
export interface PendingKeep {
  readonly owner: string;
  readonly conversation: readonly JsonObject[];
}

/**
 * The tenant a stored response belongs to: the key's user, or the key itself when it has none
 * (keys made without a user belong to `default`, which would otherwise share everything).
 */
export function responseOwner(principal: Principal): string {
  return principal.userId && principal.userId !== DEFAULT_USER_ID
    ? `user:${principal.userId}`
    : `key:${principal.keyId}`;
}

const PRUNE_EVERY_MS = 60_000;

/**
 * Keeps each finished response (completed or incomplete, JSON or streamed; relayed or
 * translated) with its conversation. A stream's final event reaches the client only after the
 * write, so a next turn naming it never races it. Expired rows are pruned lazily, at most once
 * a minute, after a write.
 */
export function responsesKeeper(
  keeping: ResponsesKeeping,
  pendingOf: WeakMap<Request, PendingKeep>,
): MiddlewareHandler<GatewayEnv> {
  let lastPrune = 0;
  const keep = async (pending: PendingKeep, response: JsonObject) => {
    if (
      typeof response.id !== 'string' ||
      (response.status !== 'completed' && response.status !== 'incomplete')
    )
      return;
    const now = keeping.now();
    try {
      await keeping.store.put({
        id: response.id,
        owner: pending.owner,
        createdAt: now,
        expiresAt: now + keeping.ttlMs,
        response,
        inputItems: pending.conversation,
      });
      if (now - lastPrune >= PRUNE_EVERY_MS) {
        lastPrune = now;
        await keeping.store.pruneExpired(now);
      }
    } catch (err) {
      keeping.logger.warn(
        { err: err instanceof Error ? err.message : String(err) },
        'storing a response failed',
      );
    }
  };
  return async (c, next) => {
    await next();
    const pending = pendingOf.get(c.req.raw);
    pendingOf.delete(c.req.raw);
    if (!pending || c.res.status !== 200) return;
    const type = c.res.headers.get('content-type') ?? '';
    if (type.includes('event-stream') && c.res.body) {
      c.res = new Response(
        c.res.body.pipeThrough(finalEventTap((response) => keep(pending, response))),
        c.res,
      );
      return;
    }
    if (!type.includes('json')) return;
    const body: unknown = await c.res
      .clone()
      .json()
      .catch(() => null);
    if (isJsonObject(body)) await keep(pending, body);
  };
}

const TERMINAL = /"type":\s*"response\.(completed|incomplete)"/;

/** Passes the bytes on; the chunk holding the final `response.*` event waits for `onFinal`. */
function finalEventTap(
  onFinal: (response: JsonObject) => Promise<void>,
): TransformStream<Uint8Array, Uint8Array> {
  const decoder = new TextDecoder();
  let final: JsonObject | null = null;
  const parser = createSseParser((event) => {
    if (!event || !TERMINAL.test(event.data)) return;
    try {
      const data: unknown = JSON.parse(event.data);
      if (isJsonObject(data) && isJsonObject(data.response)) final = data.response;
    } catch {
      // Not an event of ours to read.
    }
  });
  return new TransformStream({
    async transform(chunk, controller) {
      parser.push(decoder.decode(chunk, { stream: true }));
      const found = final as JsonObject | null;
      if (found) {
        final = null;
        await onFinal(found);
      }
      controller.enqueue(chunk);
    },
    async flush() {
      parser.end();
      const found = final as JsonObject | null;
      if (found) await onFinal(found);
    },
  });
}
