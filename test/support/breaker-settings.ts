import type { BreakerSettings } from '../../src/router/health/health-events.js';

/**
 * Short breaker timings for health tests: 1 s cooldown doubling to 5 s, key re-check 1 min to 1 h;
 * an unanswered probe claim is given up after the default request deadline (10 min).
 */
export const TEST_BREAKER_SETTINGS: BreakerSettings = {
  failureThreshold: 3,
  cooldownMs: 1_000,
  maxCooldownMs: 5_000,
  rateLimitCooldownMs: 2_000,
  modelMissingCooldownMs: 60_000,
  keyRetryMs: 60_000,
  keyRetryMaxMs: 3_600_000,
  probeTimeoutMs: 600_000,
};
