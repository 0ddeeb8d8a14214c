import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { HealthState } from '../../router/health-snapshot.js';
import type { Logger } from '../../spec/logger.js';
import type { RequestTelemetry, Telemetry, TelemetrySources } from '../../telemetry/telemetry.js';

const BREAKER_STATES: readonly HealthState[] = [
  'degraded',
  'open',
  'half_open',
  'rate_limited',
  'disabled',
  'model_unavailable',
];
const LATENCY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
const FIRST_BYTE_BUCKETS = [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const NO_ATTEMPT = { headers: {}, failed() {}, abandoned() {}, committed() {} };

/**
 * The gateway's Prometheus metrics on a registry of their own (docs/monitoring.md lists them).
 * Label values arrive already bounded (src/telemetry/labels.ts). `currency` is the deployment's
 * (settings.accounting.currency, src/config/price-currency.ts): the cost counter's `currency`
 * label, the same on every series of the process.
 */
export function createPromMetrics(logger: Logger, currency: string): Telemetry {
  const registry = new Registry();
  // Unprefixed, as the common Node.js dashboards expect (process_*, nodejs_*).
  collectDefaultMetrics({ register: registry });
  const on = { registers: [registry] };
  const pendingRequests = pendingCounts();
  const pendingAttempts = pendingCounts();
  const pendingTokens = pendingCounts();
  const requests = new Counter({
    name: 'switchboard_requests_total',
    help: 'Client requests by route, model, channel and HTTP status',
    labelNames: ['route', 'model', 'channel', 'status'],
    ...on,
    collect: pendingRequests.flush,
  });
  const latency = new Histogram({
    name: 'switchboard_request_duration_seconds',
    help: 'Time from the request to the end of its answer (streams: the last event)',
    labelNames: ['route', 'model', 'channel'],
    buckets: LATENCY_BUCKETS,
    ...on,
  });
  const firstByte = new Histogram({
    name: 'switchboard_upstream_first_byte_seconds',
    help: 'Time from sending the committed attempt to its first byte',
    labelNames: ['route', 'model', 'channel'],
    buckets: FIRST_BYTE_BUCKETS,
    ...on,
  });
  const attempts = new Counter({
    name: 'switchboard_upstream_attempts_total',
    help: 'Upstream attempts by channel and outcome',
    labelNames: ['channel', 'outcome'],
    ...on,
    collect: pendingAttempts.flush,
  });
  const tokens = new Counter({
    name: 'switchboard_tokens_total',
    help: 'Tokens by model, user, key and type (input or output)',
    labelNames: ['model', 'user', 'key', 'type'],
    ...on,
    collect: pendingTokens.flush,
  });
  const cost = new Counter({
    name: 'switchboard_cost_total',
    help: "Cost of requests by model, user and key, in the deployment's currency (the currency label)",
    labelNames: ['model', 'user', 'key', 'currency'],
    ...on,
  });
  const cache = new Counter({
    name: 'switchboard_cache_lookups_total',
    help: 'Response cache lookups by route and result (hit or miss)',
    labelNames: ['route', 'result'],
    ...on,
  });
  const refusals = new Counter({
    name: 'switchboard_limit_refusals_total',
    help: 'Requests refused by a key or user limit, by kind',
    labelNames: ['kind'],
    ...on,
  });
  let sources: TelemetrySources | null = null;
  new Gauge({
    name: 'switchboard_breaker_targets',
    help: 'Upstream targets (channel key and model) not fully healthy, by channel and state',
    labelNames: ['channel', 'state'],
    ...on,
    async collect() {
      this.reset();
      if (!sources) return;
      try {
        const { channels, entries } = await sources.breakers();
        for (const channel of channels) for (const state of BREAKER_STATES) this.set({ channel, state }, 0);
        for (const entry of entries) this.inc({ channel: entry.channel, state: entry.state });
      } catch (err) {
        logger.warn({ err: String(err) }, 'metrics: router health could not be read');
      }
    },
  });
  new Gauge({
    name: 'switchboard_usage_writer_pending',
    help: 'Usage records buffered and not yet written to the usage log',
    ...on,
    collect() {
      this.set(sources ? sources.usageBacklog() : 0);
    },
  });

  new Gauge({
    name: 'switchboard_usage_backlog',
    help: 'Usage records waiting to reach the database, as GET /health reports them (usage.backlog)',
    ...on,
    async collect() {
      this.reset();
      if (!sources?.usageBuffered) return;
      try {
        const backlog = await sources.usageBuffered();
        if (backlog !== null) this.set(backlog);
      } catch (err) {
        logger.warn({ err: String(err) }, 'metrics: the usage backlog could not be read');
      }
    },
  });

  new Gauge({
    name: 'switchboard_shared_state_degraded',
    help: 'Parts of the shared state (as GET /health names them) working per process: 1 while degraded',
    labelNames: ['part'],
    ...on,
    async collect() {
      this.reset();
      if (!sources?.degraded) return;
      try {
        for (const { part, degraded } of await sources.degraded()) this.set({ part }, degraded ? 1 : 0);
      } catch (err) {
        logger.warn({ err: String(err) }, 'metrics: health checks could not be read');
      }
    },
  });

  // prom-client hashes and checks a label object on every call; a series' child, kept per label
  // tuple (few, by the label policy), is looked up once. Whole-number counters are summed per
  // series and handed to prom-client when the registry is read (their collect), not per request.
  const perRoute = memo((route: string, model: string, channel: string) => ({
    latency: latency.labels(route, model, channel),
    firstByte: firstByte.labels(route, model, channel),
    byStatus: new Map<string, PendingCount>(),
  }));
  const perAttempt = memo((channel: string, outcome: string) =>
    pendingAttempts.of(attempts.labels(channel, outcome)),
  );
  const perWho = memo((model: string, user: string, key: string) => ({
    input: pendingTokens.of(tokens.labels(model, user, key, 'input')),
    output: pendingTokens.of(tokens.labels(model, user, key, 'output')),
    // Fractions: added one by one as they come, so the total is the same float sum as ever.
    cost: cost.labels(model, user, key, currency),
  }));
  const request: RequestTelemetry = {
    attempt: () => NO_ATTEMPT,
    refused(kind) {
      refusals.inc({ kind });
    },
    end(_record, o) {
      const series = perRoute(o.route, o.model, o.channel);
      let byStatus = series.byStatus.get(o.status);
      if (byStatus === undefined) {
        byStatus = pendingRequests.of(requests.labels(o.route, o.model, o.channel, o.status));
        series.byStatus.set(o.status, byStatus);
      }
      byStatus.add(1);
      series.latency.observe(o.latencySeconds);
      if (o.firstByteSeconds !== null && o.cache !== 'hit') series.firstByte.observe(o.firstByteSeconds);
      for (const a of o.attempts) perAttempt(a.channel, a.outcome).add(1);
      const who = perWho(o.model, o.user, o.key);
      if (o.inputTokens > 0) who.input.add(o.inputTokens);
      if (o.outputTokens > 0) who.output.add(o.outputTokens);
      if (o.cost !== null && o.cost > 0) who.cost.inc(o.cost);
      if (o.cache !== 'bypass') cache.labels(o.route, o.cache).inc();
    },
  };
  return {
    request: () => request,
    exposition: async () => ({ contentType: registry.contentType, body: await registry.metrics() }),
    watch(watched) {
      sources = watched;
    },
    close: async () => {},
  };
}

/** A counter series' increments not yet handed to prom-client. */
interface PendingCount {
  add(value: number): void;
}

/**
 * Increments of one counter's series, summed here (a number per series) and added to
 * prom-client's series when the counter is read: the registry calls a metric's collect before
 * every read, so an exposition shows every increment made before it, as with `inc` per request.
 * For whole numbers only (counts, tokens), whose sums are exact in any order.
 */
function pendingCounts(): { of(child: { inc(value?: number): void }): PendingCount; flush(): void } {
  const series: { readonly child: { inc(value?: number): void }; value: number }[] = [];
  return {
    of(child) {
      const entry = { child, value: 0 };
      series.push(entry);
      return {
        add(value) {
          // As prom-client's inc would refuse it, before it could spoil the sum.
          if (!Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${value}`);
          if (value < 0) throw new Error('It is not possible to decrease a counter');
          entry.value += value;
        },
      };
    },
    flush() {
      for (const entry of series) {
        if (entry.value === 0) continue;
        const value = entry.value;
        entry.value = 0;
        entry.child.inc(value);
      }
    },
  };
}

/** Caches `make`'s result per argument tuple. */
function memo<A extends string[], T>(make: (...parts: A) => T): (...parts: A) => T {
  const cache = new Map<string, T>();
  return (...parts) => {
    const id = parts.join('\u0001');
    let found = cache.get(id);
    if (found === undefined) {
      found = make(...parts);
      cache.set(id, found);
    }
    return found;
  };
}
