import { Agent, type Dispatcher, fetch as undiciFetch } from 'undici';
import { isPrivateHost } from '../../config/private-address.js';
import type { FetchLike, UpstreamInit } from '../../spec/provider.js';
import { nodeBodyResponse } from './node-body-response.js';
import { deniedAddressError, publicOnlyLookup, type ResolveAll } from './public-only-lookup.js';
import { toTransportError } from './transport-errors.js';

export interface UpstreamAgentOptions {
  readonly connectTimeoutMs: number;
  /** Sockets kept per upstream origin. */
  readonly connections: number;
  /** `upstreams.deny_private`: refuse to connect to loopback or private addresses, after DNS too. */
  readonly denyPrivate?: boolean;
  /** Name resolution under `denyPrivate` (default `dns.lookup`; tests have no DNS of their own). */
  readonly resolve?: ResolveAll;
}

/**
 * Upstream fetch for Node: one keep-alive pool per upstream origin. Header and body time-outs
 * are left to the gateway (per channel); the agent's own are turned off.
 *
 * The gateway's own requests go through undici's `request` API, returning a Web `Response`
 * built over the body stream: undici's WHATWG `fetch` costs several times more CPU per call
 * (spec bookkeeping, extra streams and abort signals), which at gateway rates is most of the
 * gateway's overhead. What an upstream sees and what the caller gets stay as fetch gives them:
 * the same default request headers, compressed bodies decoded, and the same `fetch failed` /
 * `terminated` errors. Neither path follows redirects, whatever the caller asks: a redirect could
 * carry the upstream key (and a 307 the client's body) to another host, so a 3xx comes back as
 * it is and the gateway treats it as a failed attempt. Anything this path does not cover (stream or form
 * bodies, non-default fetch options) goes to undici's fetch on the same pool.
 */
export function createUpstreamFetch(options: UpstreamAgentOptions): {
  fetch: FetchLike;
  close: () => Promise<void>;
} {
  const lookup = options.denyPrivate ? publicOnlyLookup(options.resolve) : undefined;
  const makePool = (connectTimeoutMs: number) => {
    const agent = new Agent({
      connect: { timeout: connectTimeoutMs, ...(lookup ? { lookup } : {}) },
      connections: options.connections,
      keepAliveTimeout: 30_000,
      headersTimeout: 0,
      bodyTimeout: 0,
    });
    return { agent, dispatcher: agent };
  };
  // undici fixes the connect time-out per agent, so each distinct per-channel connect time-out
  // (`init.connectTimeoutMs`) gets its own pool; channels share a handful of values at most.
  const pools = new Map([[options.connectTimeoutMs, makePool(options.connectTimeoutMs)]]);
  const poolFor = (connectTimeoutMs = options.connectTimeoutMs) => {
    let pool = pools.get(connectTimeoutMs);
    if (!pool) {
      pool = makePool(connectTimeoutMs);
      pools.set(connectTimeoutMs, pool);
    }
    return pool;
  };

  const viaFetch = (url: string, init: RequestInit, agent: Agent) =>
    undiciFetch(url, {
      ...(init as Parameters<typeof undiciFetch>[1]),
      redirect: 'manual',
      dispatcher: agent,
    }) as unknown as Promise<Response>;

  const send = (url: string, { connectTimeoutMs, ...init }: UpstreamInit): Promise<Response> => {
    // An IP literal (or localhost) never reaches the lookup: check it here.
    if (options.denyPrivate) {
      const { hostname } = new URL(url);
      if (isPrivateHost(hostname))
        return Promise.reject(new TypeError('fetch failed', { cause: deniedAddressError(hostname) }));
    }
    const pool = poolFor(connectTimeoutMs);
    const body = requestBody(init.body);
    if (body === UNSUPPORTED || !isPlainInit(init)) return viaFetch(url, init, pool.agent);
    return requestOnce(pool.dispatcher, url, init, body);
  };
  // The core reads failures only as its own kinds (src/spec/transport-error.ts), never undici's codes.
  const fetch: FetchLike = (url, init) =>
    send(url, init).catch((err: unknown) => {
      throw toTransportError(err, init.signal);
    });
  return {
    fetch,
    close: async () => {
      await Promise.all([...pools.values()].map((pool) => pool.agent.close()));
    },
  };
}

const UNSUPPORTED = Symbol('unsupported body');
const NULL_BODY_STATUS = new Set([101, 103, 204, 205, 304]);

async function requestOnce(
  dispatcher: Dispatcher,
  url: string,
  init: RequestInit,
  body: string | Uint8Array | null,
): Promise<Response> {
  const target = new URL(url);
  const method = (init.method ?? 'GET').toUpperCase();
  let response: Dispatcher.ResponseData;
  try {
    response = await dispatcher.request({
      origin: target.origin,
      path: `${target.pathname}${target.search}`,
      method: method as Dispatcher.HttpMethod,
      headers: requestHeaders(init.headers, target.protocol, typeof body === 'string'),
      body,
      signal: init.signal ?? undefined,
    });
  } catch (err) {
    // An aborted request rejects with the signal's reason, as fetch does.
    if (init.signal?.aborted) throw err;
    throw new TypeError('fetch failed', { cause: err });
  }
  const { statusCode, statusText, headers } = response;
  const hasBody = method !== 'HEAD' && !NULL_BODY_STATUS.has(statusCode);
  if (!hasBody) response.body.resume();
  const encoding = headers['content-encoding'];
  try {
    const signal = init.signal ?? null;
    // A body read whole (a buffered answer) is read straight from the socket's stream.
    const responseInit = { status: statusCode, statusText: statusText ?? '', headers };
    return hasBody
      ? nodeBodyResponse(response.body, typeof encoding === 'string' ? encoding : null, signal, responseInit)
      : new Response(null, { ...responseInit, headers: headerList(headers) });
  } catch (err) {
    // A status a Response cannot carry (outside 200-599).
    response.body.destroy();
    throw new TypeError('fetch failed', { cause: err });
  }
}

/** undici's response headers as a header list (a repeated header is an array there). */
function headerList(headers: Readonly<Record<string, string | readonly string[] | undefined>>) {
  const list: [string, string][] = [];
  for (const name in headers) {
    const value = headers[name];
    if (typeof value === 'string') list.push([name, value]);
    else if (value !== undefined) for (const item of value) list.push([name, item]);
  }
  return list;
}

/** The request headers undici's fetch adds when the caller did not set them. */
function requestHeaders(init: HeadersInit | undefined, protocol: string, textBody: boolean) {
  const headers: Record<string, string> = {};
  const add = (name: string, value: string) => {
    const key = name.toLowerCase();
    const existing = headers[key];
    headers[key] = existing === undefined ? value : `${existing}, ${value}`;
  };
  if (init instanceof Headers) {
    for (const [name, value] of init) add(name, value);
  } else if (Array.isArray(init)) for (const [name, value] of init) add(name as string, value as string);
  else if (init) for (const name in init) add(name, (init as Record<string, string>)[name] as string);
  if (textBody) headers['content-type'] ??= 'text/plain;charset=UTF-8';
  headers.accept ??= '*/*';
  headers['accept-language'] ??= '*';
  headers['sec-fetch-mode'] ??= 'cors';
  headers['user-agent'] ??= 'undici';
  headers['accept-encoding'] ??= protocol === 'https:' ? 'br, gzip, deflate' : 'gzip, deflate';
  return headers;
}

function requestBody(body: BodyInit | null | undefined): string | Uint8Array | null | typeof UNSUPPORTED {
  if (body === null || body === undefined) return null;
  if (typeof body === 'string') return body;
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  if (ArrayBuffer.isView(body)) return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  return UNSUPPORTED;
}

/** Only method, headers, body and signal are honoured on the fast path (which never redirects). */
function isPlainInit(init: RequestInit): boolean {
  for (const key in init) {
    if (key === 'redirect') continue;
    if (key !== 'method' && key !== 'headers' && key !== 'body' && key !== 'signal') {
      if ((init as Record<string, unknown>)[key] !== undefined) return false;
    }
  }
  return true;
}
