import { Agent, fetch as undiciFetch } from 'undici';
import type { FetchLike } from '../../spec/provider.js';

export interface UpstreamAgentOptions {
  readonly connectTimeoutMs: number;
  /** Sockets kept per upstream origin. */
  readonly connections: number;
}

/**
 * Upstream fetch for Node: undici with one keep-alive pool per upstream origin. Header and body
 * time-outs are left to the gateway (per channel); the agent's own are turned off.
 */
export function createUpstreamFetch(options: UpstreamAgentOptions): {
  fetch: FetchLike;
  close: () => Promise<void>;
} {
  const agent = new Agent({
    connect: { timeout: options.connectTimeoutMs },
    connections: options.connections,
    keepAliveTimeout: 30_000,
    headersTimeout: 0,
    bodyTimeout: 0,
  });
  const fetch: FetchLike = (url, init) =>
    undiciFetch(url, {
      ...(init as Parameters<typeof undiciFetch>[1]),
      dispatcher: agent,
    }) as unknown as Promise<Response>;
  return { fetch, close: () => agent.close() };
}
