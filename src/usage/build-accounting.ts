import type { AccountingSettings, PriceMapConfig } from '../config/accounting-schema.js';
import { createLimiter } from '../limits/limiter.js';
import type { RequestAccounting } from '../pipeline/request-accounting.js';
import type { Logger } from '../spec/logger.js';
import type { UsageSink } from '../spec/usage.js';
import type { CacheStore, CounterStore } from '../storage/accounting-ports.js';
import { createMemoryCacheStore } from '../storage/memory/memory-response-cache.js';
import type { Storage } from '../storage/ports.js';
import { DEFAULT_PRICES } from './default-prices.js';
import { createPriceTable, type ModelPrice, type PriceMap } from './prices.js';
import { createTokenEstimator } from './token-estimator.js';
import { createUsageWriter, type UsageWriter } from './usage-writer.js';

export interface AccountingParts {
  readonly accounting: RequestAccounting;
  /** The batched durable writer; its `add` is the usage sink. Close it before the storage. */
  readonly writer: UsageWriter;
  readonly sink: UsageSink;
}

/**
 * Builds limits, cache, prices, tokenizer and the batched usage writer from the settings. The
 * counter store is the runtime's choice (memory for one process; a shared one for many).
 */
export function buildAccounting(input: {
  readonly settings: AccountingSettings;
  readonly storage: Storage;
  readonly counters: CounterStore;
  /** Replaces the cache store `settings.cache.backend` names (tests inject a failing one). */
  readonly cacheStore?: CacheStore;
  readonly logger: Logger;
  readonly now: () => number;
}): AccountingParts {
  const { settings, storage, now } = input;
  const prices = createPriceTable({
    defaults: DEFAULT_PRICES,
    overrides: toPriceMap(settings.prices),
    channels: Object.fromEntries(
      Object.entries(settings.channelPrices).map(([name, map]) => [name, toPriceMap(map)]),
    ),
  });
  // Loaded on first use; a failure leaves the ~4-characters-a-token heuristic in place.
  const estimator = createTokenEstimator();
  const limiter = createLimiter({
    counters: input.counters,
    now,
    // A budget survives restarts: its first use in a process starts from the spend on record.
    spentSince: async (subject, since) => {
      const rows = await storage.usage.rollups({
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
    store: storage.usage,
    logger: input.logger,
    flushIntervalMs: settings.usage.flush_interval_ms,
    maxBatch: settings.usage.max_batch,
    maxBuffered: 100_000,
    now,
    retentionMs: settings.usage.retention_days > 0 ? settings.usage.retention_days * 86_400_000 : null,
  });
  const accounting: RequestAccounting = {
    prices,
    estimator,
    limiter,
    limits: settings.limits,
    cache: cache.enabled
      ? {
          store:
            input.cacheStore ??
            (cache.backend === 'sqlite'
              ? storage.openResponseCache({ maxEntries: cache.max_entries, maxBytes: cache.max_bytes })
              : createMemoryCacheStore({ maxEntries: cache.max_entries, maxBytes: cache.max_bytes })),
          settings: {
            enabled: true,
            ttlMs: cache.ttl_seconds * 1000,
            sampled: cache.sampled,
            disabledKeys: cache.disabled_keys,
          },
          maxBytes: cache.max_bytes,
        }
      : null,
    requestStreamUsage: settings.usage.request_stream_usage,
    now,
  };
  return { accounting, writer, sink: writer.add };
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
        ...(p.reasoning !== undefined ? { reasoning: p.reasoning } : {}),
      },
    ]),
  );
}
