import type { HealthState } from '../router/health-snapshot.js';
import type { UsageRecord } from '../spec/usage.js';

/**
 * The pipeline's window for metrics and traces. The core calls it at a few points (request
 * opened, attempt sent, limit refused, record final); a runtime decides what to do with it
 * (prom-client and OpenTelemetry on Node). `noTelemetry` does nothing.
 */
export interface Telemetry {
  /** Opens one request's telemetry; the headers carry the client's trace context, if any. */
  request(start: RequestStart): RequestTelemetry;
  /** The Prometheus text exposition for `GET /metrics`; null when metrics are off. */
  readonly exposition: (() => Promise<Exposition>) | null;
  /** Gauges read at scrape time, from services built after the telemetry. */
  watch(sources: TelemetrySources): void;
  /** Exports what is still buffered (spans); called on shutdown. */
  close(): Promise<void>;
}

export interface Exposition {
  readonly contentType: string;
  readonly body: string;
}

export interface RequestStart {
  readonly requestId: string;
  readonly method: string;
  /** The mounted route pattern, e.g. `/v1/chat/completions` (a small, fixed set). */
  readonly route: string;
  readonly operation: string;
  readonly headers: Headers;
}

export interface AttemptStart {
  readonly channel: string;
  /** The channel's provider (preset or family name): `gen_ai.system`. */
  readonly provider: string;
  /** The model name sent upstream. */
  readonly model: string;
}

export interface AttemptTrace {
  /** Headers for the upstream request (W3C `traceparent`); empty when tracing is off. */
  readonly headers: Readonly<Record<string, string>>;
  /** The attempt failed before the gateway committed to it. */
  failed(status: number | null, reason: string): void;
  /** The client left while this attempt waited for its answer: ended, not the upstream's error. */
  abandoned(): void;
  /** The answer comes from this attempt: it ends with the request, once usage is known. */
  committed(status: number): void;
}

export type LimitKind = 'rpm' | 'rph' | 'tpm' | 'budget' | 'concurrency';
export type CacheOutcome = 'hit' | 'miss' | 'bypass';
export type AttemptOutcome =
  | 'success'
  | 'rate_limited'
  | 'client_error'
  | 'server_error'
  | 'redirect'
  | 'timeout'
  | 'network'
  /** The client left while the upstream worked: not the upstream's failure. */
  | 'client_closed'
  /** The committed stream broke after its first bytes: the upstream's failure. */
  | 'stream_broken';

/** A finished request, reduced to bounded label values (labels.ts) and numbers. */
export interface RequestObservation {
  readonly route: string;
  readonly model: string;
  readonly channel: string;
  readonly status: string;
  readonly user: string;
  readonly key: string;
  readonly stream: boolean;
  readonly cache: CacheOutcome;
  readonly latencySeconds: number;
  /** Time to the upstream's first byte; null when no upstream answered. */
  readonly firstByteSeconds: number | null;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cost: number | null;
  readonly attempts: readonly { readonly channel: string; readonly outcome: AttemptOutcome }[];
}

export interface RequestTelemetry {
  attempt(start: AttemptStart): AttemptTrace;
  refused(kind: LimitKind): void;
  /** The request's one usage record is final (for a stream: at its end). */
  end(record: UsageRecord, observed: RequestObservation): void;
}

export interface TelemetrySources {
  /** Router health entries (targets not fully healthy) and every configured channel's name. */
  readonly breakers: () => Promise<{
    readonly channels: readonly string[];
    readonly entries: readonly { readonly channel: string; readonly state: HealthState }[];
  }>;
  /** Usage records buffered and not yet written to the durable log. */
  readonly usageBacklog: () => number;
  /**
   * The usage backlog as `GET /health` reports it (`usage.backlog`): on Postgres the records in
   * the usage buffer (the Redis stream, or this process's journal file) not yet in Postgres; on
   * SQLite the final records waiting in memory for a journal retry. Null when nothing reports one.
   */
  readonly usageBuffered?: () => Promise<number | null>;
  /**
   * The parts `GET /health` reports beside the storage (shared state: `limits`, `redis`) and
   * whether each is degraded now (limits per process while Redis is unreachable, say).
   */
  readonly degraded?: () => Promise<readonly { readonly part: string; readonly degraded: boolean }[]>;
}

const NO_ATTEMPT: AttemptTrace = { headers: {}, failed() {}, abandoned() {}, committed() {} };
const NO_REQUEST: RequestTelemetry = { attempt: () => NO_ATTEMPT, refused() {}, end() {} };

export const noTelemetry: Telemetry = {
  request: () => NO_REQUEST,
  exposition: null,
  watch() {},
  close: async () => {},
};
