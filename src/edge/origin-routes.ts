import type { Context, Hono, MiddlewareHandler } from 'hono';
import { z } from 'zod';
import { GatewayError } from '../errors/gateway-error.js';
import { bodyLimit } from '../http/body-limit.js';
import type { GatewayEnv } from '../http/context.js';
import type { Logger } from '../spec/logger.js';
import type { UsageRecord } from '../spec/usage.js';
import type { Storage } from '../storage/ports.js';
import { writeSalvaging } from '../storage/sql/salvage-refused.js';
import { salvaged } from '../usage/report-salvaged.js';
import { asciiRecord, storableRecord } from '../usage/storable-record.js';
import {
  EDGE_KEY_LOOKUP_PATH,
  EDGE_QUERY_MAX_BYTES,
  EDGE_ROLLUPS_PATH,
  EDGE_USAGE_MAX_BYTES,
  EDGE_USAGE_MAX_RECORDS,
  EDGE_USAGE_PATH,
  type EdgeKeyAnswer,
  type EdgeRollupAnswer,
  type EdgeUsageAnswer,
  KEY_HASH,
} from './edge-protocol.js';
import {
  checkEdgeSignatureHeader,
  REPLAY_WINDOW_S,
  SIGNATURE_HEADER,
  type SignatureCheck,
  verifyEdgeSignature,
} from './edge-signature.js';

export interface EdgeOriginDeps {
  /** EDGE_SECRET: the routes exist only when it is set. */
  readonly secret: string;
  readonly storage: Pick<Storage, 'keys' | 'users' | 'usage'>;
  readonly now: () => number;
  readonly logger: Logger;
  /**
   * The origin's currency, named in every key lookup answer (the edge refuses to serve in
   * another) and checked on every usage batch that names one (refused in another).
   */
  readonly currency: string;
}

/** Batch ids remembered beyond this are dropped oldest first (their records still dedup in the store). */
const MAX_REMEMBERED = 100_000;

const lookupBody = z.object({ hash: z.string().regex(KEY_HASH, 'hash: hex SHA-256 of the key') });
const rollupBody = z.object({
  dimension: z.enum(['key', 'user']),
  // Postgres text holds no NUL: such a value names no key or user, and would be a 500.
  value: z
    .string()
    .min(1)
    .max(200)
    .refine((v) => !v.includes('\u0000'), 'value: must not contain a NUL character'),
  from: z.number().int().nonnegative(),
  to: z.number().int().nonnegative(),
});
// The records come from a holder of the shared secret; the shape is checked so a malformed one
// answers 400 instead of failing inside the store, and the store's own columns do the rest.
const usageBody = z.object({
  batchId: z.string().min(8).max(100),
  // As prices name theirs (accounting-schema.ts); an edge older than the field sends none.
  currency: z.string().trim().min(1).max(16).toUpperCase().optional(),
  records: z
    .array(
      z.looseObject({
        requestId: z.string().min(1).max(200),
        // The edge's identity of the request; an edge older than it sends none.
        entry: z.string().min(1).max(200).optional(),
        startedAt: z.number().int().nonnegative(),
        status: z.number().int(),
        latencyMs: z.number(),
        operation: z.string(),
        stream: z.boolean(),
        cacheHit: z.boolean(),
        attempts: z.array(z.unknown()),
      }),
    )
    .max(EDGE_USAGE_MAX_RECORDS),
});

/**
 * The origin's side of edge mode (docs/workers.md, "Edge and origin"): key lookups by hash,
 * usage batches, and one key's or user's rollups (a budget's spend on record), each request
 * signed with EDGE_SECRET. A request without a well-formed, current signature header is refused
 * (401 invalid_signature) before its body is read; a body over its endpoint's limit (a few KB for
 * a lookup or rollups, EDGE_USAGE_MAX_BYTES for a batch) is refused (413) unread; and a body whose
 * MAC does not match the method, path and timestamp is refused (401) before it is parsed.
 *
 * A batch priced in another currency than the origin's is refused (409 currency_mismatch) before
 * anything of it is stored or its id remembered: the edge keeps it and offers it again, and it
 * is taken once the two agree. A batch that names no currency (an older edge) is taken as priced
 * in the origin's.
 *
 * A batch sent twice (a retry after a lost answer, or a replay within the window) is counted
 * once: its id is remembered for the replay window, and past that (or on another origin
 * process) the usage store skips records it already holds (same entry: the identity the edge
 * gave each request, since a client may reuse its x-request-id).
 */
export function mountEdgeOrigin(app: Hono<GatewayEnv>, deps: EdgeOriginDeps): void {
  const seenBatches = new Map<string, number>();
  const limit = (maxSize: number) =>
    bodyLimit({
      maxSize,
      onError: () => {
        throw new GatewayError('body_too_large', `request body is larger than ${maxSize} bytes`);
      },
    });
  const refuse = (c: Context<GatewayEnv>, check: SignatureCheck): never => {
    // The reason goes to the log (an operator debugging clock skew needs it), not to the caller.
    deps.logger.warn({ path: c.req.path, check }, 'edge request refused: signature');
    throw new GatewayError('invalid_signature', 'the request is not signed with the edge secret');
  };
  // First of every route: costs the caller a header, not a body the origin holds while it waits.
  const signatureHeader: MiddlewareHandler<GatewayEnv> = async (c, next) => {
    const check = checkEdgeSignatureHeader(c.req.header(SIGNATURE_HEADER), deps.now() / 1000);
    if (check !== 'ok') refuse(c, check);
    await next();
  };

  const refuseCurrency = (edgeCurrency: string): never => {
    deps.logger.warn(
      { edgeCurrency, originCurrency: deps.currency },
      'edge usage batch refused: priced in another currency than the origin (docs/workers.md)',
    );
    throw new GatewayError(
      'currency_mismatch',
      `this usage batch is priced in ${edgeCurrency} but the origin's prices are in ${deps.currency}: its costs cannot be added to the origin's; give the edge and the origin prices in one currency (docs/workers.md, "Edge and origin")`,
      { param: 'currency' },
    );
  };

  /** The body, once its MAC matches this endpoint (`path`: the route's, however the URL spelt it). */
  const signedJson = async (c: Context<GatewayEnv>, path: string): Promise<unknown> => {
    const body = await c.req.text();
    const check = await verifyEdgeSignature(
      deps.secret,
      c.req.header(SIGNATURE_HEADER),
      { method: c.req.method, path, body },
      deps.now() / 1000,
    );
    if (check !== 'ok') refuse(c, check);
    try {
      return JSON.parse(body);
    } catch {
      throw new GatewayError('invalid_json', 'the body is not valid JSON');
    }
  };

  const parse = <T>(schema: z.ZodType<T>, value: unknown): T => {
    const result = schema.safeParse(value);
    if (!result.success)
      throw new GatewayError('invalid_request', result.error.issues[0]?.message ?? 'invalid body');
    return result.data;
  };

  app.post(EDGE_KEY_LOOKUP_PATH, signatureHeader, limit(EDGE_QUERY_MAX_BYTES), async (c) => {
    const { hash } = parse(lookupBody, await signedJson(c, EDGE_KEY_LOOKUP_PATH));
    const key = await deps.storage.keys.findByHash(hash);
    const user = key ? await deps.storage.users.get(key.userId) : null;
    const answer: EdgeKeyAnswer = {
      key: key && user ? key : null,
      user: key && user ? { id: user.id, enabled: user.enabled } : null,
      currency: deps.currency,
    };
    return c.json(answer, 200, { 'cache-control': 'no-store' });
  });

  app.post(EDGE_ROLLUPS_PATH, signatureHeader, limit(EDGE_QUERY_MAX_BYTES), async (c) => {
    const query = parse(rollupBody, await signedJson(c, EDGE_ROLLUPS_PATH));
    const answer: EdgeRollupAnswer = { rows: await deps.storage.usage.rollups(query) };
    return c.json(answer, 200, { 'cache-control': 'no-store' });
  });

  app.post(EDGE_USAGE_PATH, signatureHeader, limit(EDGE_USAGE_MAX_BYTES), async (c) => {
    const batch = parse(usageBody, await signedJson(c, EDGE_USAGE_PATH));
    if (batch.currency !== undefined && batch.currency !== deps.currency) refuseCurrency(batch.currency);
    const nowS = deps.now() / 1000;
    forgetExpired(seenBatches, nowS);
    const duplicate = seenBatches.has(batch.batchId);
    if (!duplicate) {
      // The store skips records it holds already (by entry): a batch whose first attempt
      // landed but whose answer was lost is not counted twice.
      // A record the database refuses for what it holds (an edge on an older release, before its
      // own checks) is stored in another form instead of failing the batch: the edge would offer
      // the same backlog again and again, and everything after it would wait.
      await writeSalvaging(
        batch.records as unknown as readonly UsageRecord[],
        (records) => deps.storage.usage.insertBatch(records),
        { storable: storableRecord, ascii: asciiRecord },
        (record, outcome, reason) => salvaged(deps.logger, record, outcome, reason),
      );
      // Remembered for twice the window: a replay is refused as stale after one window anyway.
      seenBatches.set(batch.batchId, nowS + 2 * REPLAY_WINDOW_S);
      if (seenBatches.size > MAX_REMEMBERED) seenBatches.delete(seenBatches.keys().next().value as string);
    }
    const answer: EdgeUsageAnswer = { received: batch.records.length, duplicate };
    return c.json(answer, 200);
  });
}

function forgetExpired(seen: Map<string, number>, nowS: number): void {
  // Insertion order is expiry order: stop at the first entry still live.
  for (const [id, until] of seen) {
    if (until > nowS) return;
    seen.delete(id);
  }
}
