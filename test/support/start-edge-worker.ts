import { Miniflare } from 'miniflare';
import { bundleWorker, COMPATIBILITY_DATE, COMPATIBILITY_FLAGS } from './start-worker-gateway.js';

/** The Worker in edge mode (docs/workers.md, "Edge and origin"): no D1, keys and usage on the origin. */
export interface EdgeWorker {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Runs the Worker in workerd (Miniflare, on 127.0.0.1) with ORIGIN_URL pointing at an origin
 * and the given YAML-shaped config (its channels become the CHANNELS var). No DB binding: the
 * edge must not need one. KV (CACHE) and the counter Durable Object are bound as deployed.
 */
export async function startEdgeWorker(options: {
  readonly originUrl: string;
  readonly edgeSecret: string;
  readonly config?: Record<string, unknown>;
  readonly env?: Record<string, string>;
}): Promise<EdgeWorker> {
  const { channels, ...rest } = options.config ?? {};
  const mf = new Miniflare({
    modules: true,
    script: await bundleWorker(),
    compatibilityDate: COMPATIBILITY_DATE,
    compatibilityFlags: COMPATIBILITY_FLAGS,
    host: '127.0.0.1',
    port: 0,
    kvNamespaces: ['CACHE'],
    durableObjects: { COUNTERS: 'CounterObject' },
    bindings: {
      ORIGIN_URL: options.originUrl,
      EDGE_SECRET: options.edgeSecret,
      SWITCHBOARD_SECRET_KEY: 'sealing-key-for-the-edge-tests',
      LOG_LEVEL: 'error',
      CHANNELS: JSON.stringify(channels ?? []),
      SWITCHBOARD_CONFIG: JSON.stringify(rest),
      ...options.env,
    },
  });
  try {
    const url = (await mf.ready).toString().replace(/\/$/, '');
    return { url, close: () => mf.dispose() };
  } catch (err) {
    await mf.dispose();
    throw err;
  }
}
