import { createClientKey } from '../../src/auth/key-service.js';
import type { ChannelConfigInput } from '../../src/config/schema.js';
import { resolveSettings } from '../../src/config/settings.js';
import { type BootstrapOptions, bootstrap, type NodeGateway } from '../../src/runtime/node/bootstrap.js';
import { type RunningServer, startServer } from '../../src/runtime/node/server.js';
import { type Logger, silentLogger } from '../../src/spec/logger.js';
import type { UsageRecord } from '../../src/spec/usage.js';

export interface TestGateway {
  readonly url: string;
  /** A valid client key (all models). */
  readonly key: string;
  readonly node: NodeGateway;
  readonly usage: UsageRecord[];
  /** The separate metrics listener (`metrics.port` / METRICS_PORT), when one was configured. */
  readonly metricsUrl: string | null;
  close(): Promise<void>;
}

/** An Anthropic channel on the fake upstream (`<url>/v1/messages`), its key `<name>-key`. */
export function anthropicChannel(fakeUrl: string, models: string[], name = 'an'): Record<string, unknown> {
  return channel({ name, provider: 'anthropic', base_url: `${fakeUrl}/v1`, keys: [`${name}-key`], models });
}

/** A Gemini channel on the fake upstream (`<url>/v1beta/models/…`), its key `<name>-key`. */
export function geminiChannel(fakeUrl: string, models: string[], name = 'gm'): Record<string, unknown> {
  return channel({ name, provider: 'gemini', base_url: `${fakeUrl}/v1beta`, keys: [`${name}-key`], models });
}

/** Channel config with defaults filled, for tests. */
export function channel(
  fields: Partial<ChannelConfigInput> & Pick<ChannelConfigInput, 'name'>,
): Record<string, unknown> {
  return { provider: 'openai-compatible', ...fields };
}

/**
 * Runs the real Node server (real HTTP, real undici upstream fetch) on 127.0.0.1 with an
 * in-memory SQLite database and the given YAML-shaped config.
 */
export async function startTestGateway(
  config: Record<string, unknown> = {},
  env: Record<string, string> = {},
  /** A capturing logger, a clock the test moves (the gateway's `now`), a sleep that records waits, or a shared change feed. */
  inject: {
    logger?: Logger;
    now?: () => number;
    sleep?: BootstrapOptions['sleep'];
    changes?: BootstrapOptions['changes'];
    /** Another runtime's upstream fetch in place of undici. */
    fetch?: BootstrapOptions['fetch'];
    /** Replace the limit counters or the response cache store (e.g. one that fails). */
    counters?: BootstrapOptions['counters'];
    cacheStore?: BootstrapOptions['cacheStore'];
  } = {},
): Promise<TestGateway> {
  const settings = resolveSettings({
    env: { DATABASE_URL: 'sqlite::memory:', ...env },
    file: { path: 'test-config.yaml', text: JSON.stringify(config) },
  });
  const usage: UsageRecord[] = [];
  const logger = inject.logger ?? silentLogger;
  const node = await bootstrap({
    settings,
    logger,
    usageSink: async (r) => {
      usage.push(r);
    },
    ...(inject.now ? { now: inject.now } : {}),
    ...(inject.sleep ? { sleep: inject.sleep } : {}),
    ...(inject.changes ? { changes: inject.changes } : {}),
    ...(inject.fetch ? { fetch: inject.fetch } : {}),
    ...(inject.counters ? { counters: inject.counters } : {}),
    ...(inject.cacheStore ? { cacheStore: inject.cacheStore } : {}),
  });
  const { secret } = await createClientKey(node.storage.keys, { name: 'test' });
  const server: RunningServer = await startServer(node, { port: 0, host: '127.0.0.1', logger });
  return {
    url: `http://127.0.0.1:${server.port}`,
    key: secret,
    node,
    usage,
    metricsUrl: server.metricsPort === null ? null : `http://127.0.0.1:${server.metricsPort}/metrics`,
    close: () => server.shutdown(1_000),
  };
}
