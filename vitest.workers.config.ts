import { existsSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

/**
 * The end-to-end suites that run on both runtimes, run against the Worker (GATEWAY_RUNTIME=workers:
 * src/runtime/workers/worker.ts bundled as wrangler does, in workerd through Miniflare, with local
 * D1, KV and the counter Durable Object). `npm test` runs them after the Node run; alone:
 * `npm run test:workers`. Each file starts one Worker for its tests. A test that cannot apply on
 * Workers is skipped with its reason printed (itNode, test/support/start-any-gateway.ts); the
 * reasons are listed in docs/workers.md.
 */
export const WORKER_SUITES = [
  'test/e2e/smoke.test.ts',
  'test/e2e/core-auth.test.ts',
  'test/e2e/core-chat.test.ts',
  'test/e2e/core-endpoints.test.ts',
  'test/e2e/core-errors.test.ts',
  'test/e2e/core-http.test.ts',
  'test/e2e/core-mock.test.ts',
  'test/e2e/core-routing.test.ts',
  'test/e2e/core-stream-failures.test.ts',
  'test/e2e/upstream-request-id.test.ts',
  'test/translation/anthropic-front-door.test.ts',
  'test/translation/claude-code-edges.test.ts',
  'test/translation/tool-result-error.test.ts',
  'test/accounting/limits.test.ts',
  'test/accounting/deployment-currency.test.ts',
  'test/admin/admin-auth.test.ts',
  'test/admin/admin-input-errors.test.ts',
  'test/admin/audit.test.ts',
  'test/admin/channels.test.ts',
  'test/admin/stats-and-chat.test.ts',
  'test/admin/users.test.ts',
  'test/admin/walkthrough.test.ts',
  'test/resilience/channel-edit-health.test.ts',
  'test/resilience/passthrough-time-outs.test.ts',
];

// A renamed or deleted suite must fail the run, not quietly leave the Worker less tested.
const missing = WORKER_SUITES.filter((file) => !existsSync(new URL(file, import.meta.url)));
if (missing.length > 0)
  throw new Error(`vitest.workers.config.ts lists missing suites: ${missing.join(', ')}`);

export default defineConfig({
  test: {
    include: WORKER_SUITES,
    env: { GATEWAY_RUNTIME: 'workers' },
    // The Worker is bundled once for the run, not once per suite file.
    globalSetup: ['test/support/worker-bundle-setup.ts'],
    // One connection per request to local workerd (why: test/support/worker-client-connections.ts).
    setupFiles: ['test/support/worker-client-connections.ts'],
    // Starting workerd and the Worker's first requests (bundle, D1 migrations) take seconds.
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
