import { startTestGateway } from './start-gateway.js';
import { gatewayRuntime, startWorkerGateway } from './start-worker-gateway.js';

/** What every runtime's test gateway offers: suites written against this run on both. */
export interface GatewayUnderTest {
  readonly runtime: 'node' | 'workers';
  readonly url: string;
  /** A valid client key (all models). */
  readonly key: string;
  close(): Promise<void>;
}

/**
 * The gateway on the runtime GATEWAY_RUNTIME names: `node` (default: the Node server on an
 * in-memory SQLite) or `workers` (the Worker in workerd with local D1, KV and the Durable
 * Object). `GATEWAY_RUNTIME=workers npx vitest run test/e2e/core-errors.test.ts` runs a suite on Workers.
 */
export async function startGateway(
  config: Record<string, unknown> = {},
  env: Record<string, string> = {},
): Promise<GatewayUnderTest> {
  const runtime = gatewayRuntime();
  const gw =
    runtime === 'workers' ? await startWorkerGateway(config, env) : await startTestGateway(config, env);
  return { runtime, url: gw.url, key: gw.key, close: () => gw.close() };
}
