import type { Context, MiddlewareHandler } from 'hono';
import { timeOrderedUuid } from '../encoding/time-ordered-uuid.js';
import { GatewayError } from '../errors/gateway-error.js';
import type { GatewayEnv } from '../http/context.js';
import { LimitRefusal } from '../limits/limit-refusal.js';
import type { UsageRecord } from '../spec/usage.js';
import type { LabelPolicy } from '../telemetry/labels.js';
import type { CacheOutcome, RequestTelemetry, Telemetry } from '../telemetry/telemetry.js';
import type { RequestJournal } from '../usage/journal-writer.js';
import type { DeferredWork } from './defer.js';
import { createUsageTap, type UsageAccounting, type UsageTap } from './usage-tap.js';

/** One request's pipeline state, opened before auth so that every exit is recorded. */
export interface RequestScope {
  readonly tap: UsageTap;
  /** Headers every answer to this request carries, error or not (rate limits, cache status). */
  readonly headers: Record<string, string>;
  /** The limit reservation's settle, once limits were reserved. */
  settle: ((record: UsageRecord) => Promise<void>) | null;
  /** Metrics and traces of this request (a no-op without telemetry). */
  readonly telemetry: RequestTelemetry;
}

export interface ScopeDeps {
  readonly now: () => number;
  readonly accounting: UsageAccounting | null;
  readonly work: DeferredWork;
  /** Receives each finished record (the usage sink); deferred. */
  readonly sink: (record: UsageRecord) => Promise<void>;
  readonly telemetry: Telemetry;
  readonly labels: LabelPolicy;
  /** Writes each record as the request ends (committed before the answer's last byte); null: none. */
  readonly journal: RequestJournal | null;
  /** Counts the request as in flight; the returned function ends it (called once, with the record). */
  readonly inFlight?: () => () => void;
}

/**
 * How long a request may wait on its upstream before its provisional usage row is written (a
 * stream writes one at once when it commits). Model calls usually take longer than this, so a
 * crash leaves almost every waiting request as an `interrupted` record.
 */
const PROVISIONAL_AFTER_MS = 200;

/**
 * Opens the request's scope and usage tap; whatever the exit, the record is ended exactly once:
 * here for an answer the handler completed or an error, by the stream for a streamed answer.
 * The journal write is queued at the end and waited for before the answer's last byte; the sink
 * and the limit settle run after the response, through `defer`.
 */
export function openScope(operation: string, route: string, deps: ScopeDeps): MiddlewareHandler<GatewayEnv> {
  return async (c, next) => {
    const requestId = c.get('requestId');
    const telemetry = deps.telemetry.request({
      requestId,
      method: c.req.method,
      route,
      operation,
      headers: c.req.raw.headers,
    });
    const { journal } = deps;
    // The record's identity (and the journal's row name): unique per request, where a client
    // may reuse its x-request-id and, on workerd, a burst shares one start time. Time-ordered,
    // so the journal's unique index on it is appended to, not written at random pages.
    const entry = timeOrderedUuid();
    const stopCounting = deps.inFlight?.();
    const scope: RequestScope = {
      // Until the response cache is consulted, the answer says it was not, so "cache off" and
      // "not cacheable" are visible rather than a missing header.
      headers: { 'x-switchboard-cache': 'bypass' },
      settle: null,
      telemetry,
      tap: createUsageTap({
        requestId,
        entry,
        operation,
        now: deps.now,
        accounting: deps.accounting,
        ...(journal
          ? {
              onOpen: (record: UsageRecord) => journal.open(entry, record),
              openAfterMs: PROVISIONAL_AFTER_MS,
            }
          : {}),
        onRecord: (record) => {
          stopCounting?.();
          // Queued for the turn's group commit; whoever ends the tap (below, or the stream at
          // its end) waits for it before the answer's last byte goes out.
          const written = journal?.append(entry, record);
          deps.work.run('usage write', requestId, () => deps.sink(record));
          const settle = scope.settle;
          if (settle) deps.work.run('limit settle', requestId, () => settle(record));
          try {
            const observed = deps.labels.observe(
              record,
              route,
              cacheOutcome(record, scope.headers),
              c.get('principal')?.userName ?? null,
            );
            telemetry.end(record, observed);
          } catch {
            // Metrics and traces are best effort: they never cost a request its record or settle.
          }
          return written;
        },
      }),
    };
    c.set('scope', scope);
    await next();
    const refused = c.get('refusedKey');
    if (refused && !c.get('principal'))
      scope.tap.emit({ type: 'principal', keyId: refused.keyId, userId: refused.userId });
    if (c.error instanceof LimitRefusal) telemetry.refused(c.error.limit);
    applyHeaders(c, scope.headers);
    if (!scope.tap.handedOver()) {
      const code = c.error instanceof GatewayError ? c.error.code : c.error ? 'internal_error' : null;
      // A buffered answer leaves when this returns: its record is committed first.
      const written = scope.tap.end(c.res.status, code);
      if (written) await written;
    }
  };
}

function applyHeaders(c: Context<GatewayEnv>, headers: Readonly<Record<string, string>>): void {
  for (const [name, value] of Object.entries(headers)) {
    if (!c.res.headers.has(name)) c.res.headers.set(name, value);
  }
}

function cacheOutcome(record: UsageRecord, headers: Readonly<Record<string, string>>): CacheOutcome {
  if (record.cacheHit) return 'hit';
  return headers['x-switchboard-cache'] === 'miss' ? 'miss' : 'bypass';
}
