import { missOnFailedLookup } from '../cache/miss-on-failed-lookup.js';
import type { AccountingSettings, PriceMapConfig } from '../config/accounting-schema.js';
import { DEFAULT_CURRENCY } from '../config/price-currency.js';
import { createLimiter } from '../limits/limiter.js';
import type { RequestAccounting } from '../pipeline/request-accounting.js';
import type { Logger } from '../spec/logger.js';
import type { UsageSink } from '../spec/usage.js';
import type { CacheBounds, CacheStore, CounterStore, UsageStore } from '../storage/accounting-ports.js';
import type { UsageJournal } from '../storage/usage-journal.js';
import { DEFAULT_PRICES } from './default-prices.js';
import { createPriceTable, type ModelPrice, type PriceMap } from './prices.js';
import type { TokenCounter } from './token-counter.js';
import { createUsageWriter, type UsageWriter } from './usage-writer.js';

export interface AccountingParts {
  readonly accounting: RequestAccounting;
  /** The batched durable writer; its `add` is the usage sink. Close it before the storage. */
  readonly writer: UsageWriter;
  readonly sink: UsageSink;
}

/**
 * Builds limits, cache, prices and the batched usage writer from the settings, over stores the
 * caller chose: memory ones for one process, shared ones for many.
 */
export function buildAccounting(input: {
  readonly settings: AccountingSettings;
  readonly usage: UsageStore;
  /** The backend's crash-safe journal, when it has one (records are then written as requests end). */
  readonly journal?: UsageJournal;
  readonly counters: CounterStore;
  /** Opens the response cache (called only when `cache.enabled`). */
  readonly openCache: (bounds: CacheBounds) => CacheStore;
  readonly tokens: TokenCounter;
  /** Runs a function every `ms` until stopped (renews concurrency leases of open streams). */
  readonly repeat?: (fn: () => void, ms: number) => () => void;
  readonly logger: Logger;
  readonly now: () => number;
  /** SHA-256 hex for cache keys (default: crypto.subtle); a runtime may supply a faster one. */
  readonly hashKey?: (text: string) => string | Promise<string>;
  /** Timers live only as long as the request that set them (Workers): see UsageWriterOptions. */
  readonly requestScoped?: boolean;
}): AccountingParts {
  const { settings, now } = input;
  const prices = createPriceTable({
    defaults: builtInPrices(settings.currency, input.logger),
    overrides: toPriceMap(settings.prices),
    channels: Object.fromEntries(
      Object.entries(settings.channelPrices).map(([name, map]) => [name, toPriceMap(map)]),
    ),
  });
  const limiter = createLimiter({
    counters: input.counters,
    leaseTtlMs: settings.limits.concurrency_lease_seconds * 1000,
    ...(input.repeat ? { repeat: input.repeat } : {}),
    // A budget survives restarts: a window's counter starts from the spend on record.
    spentSince: async (subject, since) => {
      const rows = await input.usage.rollups({
        dimension: subject.kind,
        value: subject.id,
        from: since,
        to: Number.MAX_SAFE_INTEGER,
      });
      return rows.reduce((sum, row) => sum + row.cost, 0);
    },
  });
  const { cache } = settings;
  const writer = createUsageWriter({
    store: input.usage,
    logger: input.logger,
    flushIntervalMs: settings.usage.flush_interval_ms,
    maxBatch: settings.usage.max_batch,
    maxBuffered: 100_000,
    now,
    retentionMs: settings.usage.retention_days > 0 ? settings.usage.retention_days * 86_400_000 : null,
    ...(input.journal ? { journal: input.journal } : {}),
    ...(input.requestScoped ? { requestScoped: true } : {}),
  });
  const cacheStore = cache.enabled
    ? missOnFailedLookup(
        input.openCache({ maxEntries: cache.max_entries, maxBytes: cache.max_bytes }),
        input.logger,
      )
    : null;
  const accounting: RequestAccounting = {
    prices,
    estimator: input.tokens,
    limiter,
    limits: settings.limits,
    cache: cacheStore
      ? {
          store: cacheStore,
          settings: {
            enabled: true,
            ttlMs: cache.ttl_seconds * 1000,
            sampled: cache.sampled,
            disabledKeys: cache.disabled_keys,
          },
          // An answer the store could not hold, or larger than an entry may be, is not captured.
          maxBytes: Math.min(
            cache.max_bytes,
            cache.max_entry_bytes,
            cacheStore.maxEntryBytes ?? Number.POSITIVE_INFINITY,
          ),
          ...(input.hashKey ? { hashKey: input.hashKey } : {}),
        }
      : null,
    requestStreamUsage: settings.usage.request_stream_usage,
    now,
  };
  return { accounting, writer, sink: writer.add };
}

/**
 * The shipped prices are in USD: a deployment in another currency (src/config/price-currency.ts)
 * does without them rather than add dollars to its own currency, and says so once.
 */
function builtInPrices(currency: string, logger: Logger): PriceMap {
  if (currency === DEFAULT_CURRENCY) return DEFAULT_PRICES;
  // A warning: a deployment that gave one channel prices in its own currency stops costing (and
  // spending budgets on) every model only the built-in prices covered.
  logger.warn(
    { currency },
    `prices are in ${currency}: the built-in USD prices are not used, and a model without a price in ${currency} is recorded with no cost and spends no budget`,
  );
  return {};
}

function toPriceMap(config: PriceMapConfig): PriceMap {
  return Object.fromEntries(
    Object.entries(config).map(([model, p]): [string, ModelPrice] => [
      model,
      {
        input: p.input,
        output: p.output,
        currency: p.currency,
        ...(p.cached_input !== undefined ? { cachedInput: p.cached_input } : {}),
        ...(p.cache_write !== undefined ? { cacheWrite: p.cache_write } : {}),
        ...(p.cache_write_1h !== undefined ? { cacheWrite1h: p.cache_write_1h } : {}),
        ...(p.reasoning !== undefined ? { reasoning: p.reasoning } : {}),
      },
    ]),
  );
}
