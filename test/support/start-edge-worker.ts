import { Miniflare } from 'miniflare';
import { bundleWorker, COMPATIBILITY_DATE, COMPATIBILITY_FLAGS } from './start-worker-gateway.js';

/** The Worker in edge mode (docs/workers.md, "Edge and origin"): no D1, keys and usage on the origin. */
export interface EdgeWorker {
  readonly url: string;
  /**
   * A request to isolate `n` (0 is the one behind `url`): with `isolates` > 1, each is the Worker
   * again under its own name, on the same KV namespace and counter object, as the isolates and
   * locations of one deployment are.
   */
  fetchIsolate(n: number, url: string, init?: RequestInit): Promise<Response>;
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
  /**
   * Puts a client Worker in front that calls the edge through a service binding and gives up
   * (aborts the call) after `x-test-give-up-ms` milliseconds: workerd then cancels the edge's
   * request as it does when a real client leaves. Local workerd notices no client that leaves an
   * HTTP connection before the response starts; this is how a test makes one.
   */
  readonly behindLeavingClient?: boolean;
  /** How many isolates run the edge (default 1); see EdgeWorker.fetchIsolate. */
  readonly isolates?: number;
}): Promise<EdgeWorker> {
  const { channels, ...rest } = options.config ?? {};
  const edgeWorker = {
    name: 'edge',
    modules: true,
    script: await bundleWorker(),
    compatibilityDate: COMPATIBILITY_DATE,
    compatibilityFlags: COMPATIBILITY_FLAGS,
    kvNamespaces: { CACHE: 'edge-cache' },
    durableObjects: { COUNTERS: { className: 'CounterObject', scriptName: 'edge' } },
    bindings: {
      ORIGIN_URL: options.originUrl,
      EDGE_SECRET: options.edgeSecret,
      SWITCHBOARD_SECRET_KEY: 'sealing-key-for-the-edge-tests',
      LOG_LEVEL: 'error',
      CHANNELS: JSON.stringify(channels ?? []),
      SWITCHBOARD_CONFIG: JSON.stringify(rest),
      ...options.env,
    },
  };
  const isolates = Array.from({ length: options.isolates ?? 1 }, (_, n) =>
    n === 0 ? edgeWorker : { ...edgeWorker, name: `edge-${n + 1}` },
  );
  const mf = new Miniflare({
    host: '127.0.0.1',
    port: 0,
    workers: options.behindLeavingClient ? [LEAVING_CLIENT, ...isolates] : isolates,
  });
  try {
    const url = (await mf.ready).toString().replace(/\/$/, '');
    return {
      url,
      async fetchIsolate(n, target, init) {
        const worker = await mf.getWorker(isolates[n]?.name ?? 'none');
        const answer = await worker.fetch(target, init as Parameters<typeof worker.fetch>[1]);
        return new Response(await answer.arrayBuffer(), {
          status: answer.status,
          headers: [...answer.headers.entries()],
        });
      },
      close: () => mf.dispose(),
    };
  } catch (err) {
    await mf.dispose();
    throw err;
  }
}

/** The edge tests' config: one OpenAI-compatible channel (`gpt-fake`) on the fake upstream, fast usage flushes. */
export function edgeConfig(fakeBaseUrl: string): Record<string, unknown> {
  return {
    channels: [
      {
        name: 'edge-fake',
        provider: 'openai-compatible',
        base_url: fakeBaseUrl,
        keys: ['up-edge'],
        models: ['gpt-fake'],
      },
    ],
    usage: { flush_interval_ms: 50 },
  };
}

/** The header that makes the client Worker give up on the edge after that many milliseconds. */
export const GIVE_UP_HEADER = 'x-test-give-up-ms';

/** Answers 599 when it gave up; otherwise the edge's response. */
const LEAVING_CLIENT = {
  name: 'leaving-client',
  modules: true,
  compatibilityDate: COMPATIBILITY_DATE,
  serviceBindings: { EDGE: 'edge' },
  script: `
export default {
  async fetch(request, env) {
    const after = Number(request.headers.get('${GIVE_UP_HEADER}') ?? '');
    if (!(after > 0)) return env.EDGE.fetch(request);
    const gaveUp = new AbortController();
    const timer = setTimeout(() => gaveUp.abort(), after);
    try {
      const response = await env.EDGE.fetch(new Request(request, { signal: gaveUp.signal }));
      return new Response(await response.arrayBuffer(), response);
    } catch {
      return new Response('the client left', { status: 599 });
    } finally {
      clearTimeout(timer);
    }
  },
};`,
};
