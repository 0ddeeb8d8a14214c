import { SIGNATURE_HEADER, signEdgeRequest } from '../../../edge/edge-signature.js';
import type { FetchLike } from '../../../spec/provider.js';
import { refusalReason } from './origin-refusal.js';

/** Signed JSON requests from an edge Worker to its origin's /internal/edge/* endpoints. */
export interface OriginClient {
  /**
   * POSTs `body` signed, retrying network failures and 5xx; resolves to the parsed answer. With
   * `until` (epoch ms), every attempt and wait ends by then: a call inside a Worker's waitUntil
   * must end before Cloudflare cuts it off (30 s after the response), or its caller never hears.
   */
  post<T>(
    path: string,
    body: unknown,
    options?: { readonly attempts?: number; readonly until?: number },
  ): Promise<T>;
  /** Resolves when the origin's /health answers 200 (the edge's own /health reports it). */
  ping(): Promise<void>;
}

export interface OriginClientOptions {
  /** ORIGIN_URL: the origin's base URL, e.g. https://switchboard.example.com */
  readonly url: string;
  /** EDGE_SECRET, the same on the origin. */
  readonly secret: string;
  readonly fetch: FetchLike;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Waits before the 2nd, 3rd, ... attempt; a retry reuses the body, so it is idempotent at the origin. */
const BACKOFF_MS = [250, 1_000, 3_000];
const TIMEOUT_MS = 10_000;

export class OriginError extends Error {
  constructor(
    message: string,
    /** True when another attempt may succeed (network failure, 5xx, 429). */
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'OriginError';
  }
}

export function createOriginClient(options: OriginClientOptions): OriginClient {
  const base = options.url.replace(/\/+$/, '');
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));

  const once = async <T>(path: string, text: string, timeoutMs: number): Promise<T> => {
    // Signed per attempt: a retry minutes later still falls inside the origin's replay window.
    // The method and path are signed with the body: it is good for this endpoint only.
    const signature = await signEdgeRequest(
      options.secret,
      { method: 'POST', path, body: text },
      now() / 1000,
    );
    let res: Response;
    try {
      res = await options.fetch(`${base}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signature },
        body: text,
        // A redirect is not followed: a 307 would carry the signed body (usage, a key's hash) to
        // wherever it points. ORIGIN_URL must name the origin itself.
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw new OriginError(`origin ${path}: ${String(err)}`, true);
    }
    if (!res.ok) {
      // A refusal (4xx) says why in its body (another currency, a body too large): for the log.
      // refusalReason reads or cancels the body itself.
      const refused = res.status >= 400 && res.status < 500;
      const reason = refused ? await refusalReason(res) : '';
      if (!refused) await res.body?.cancel();
      const hint =
        res.status === 401
          ? ' (is EDGE_SECRET the same on the origin, and its clock right?)'
          : res.status >= 300 && res.status < 400
            ? ` (a redirect${redirectTarget(res, base)}, not followed: set ORIGIN_URL to the origin itself)`
            : '';
      throw new OriginError(
        `origin ${path} answered ${res.status}${reason === '' ? '' : `: ${reason}`}${hint}`,
        res.status >= 500 || res.status === 429,
      );
    }
    return (await res.json()) as T;
  };

  return {
    async post<T>(
      path: string,
      body: unknown,
      opts: { readonly attempts?: number; readonly until?: number } = {},
    ): Promise<T> {
      const text = JSON.stringify(body);
      const attempts = Math.max(1, opts.attempts ?? 1);
      const left = () => (opts.until === undefined ? TIMEOUT_MS : opts.until - now());
      for (let attempt = 1; ; attempt++) {
        if (left() <= 0) throw new OriginError(`origin ${path}: no time left for another attempt`, true);
        try {
          return await once<T>(path, text, Math.min(TIMEOUT_MS, left()));
        } catch (err) {
          if (attempt >= attempts || !(err instanceof OriginError) || !err.retryable) throw err;
          const wait = BACKOFF_MS[Math.min(attempt - 1, BACKOFF_MS.length - 1)] as number;
          if (wait >= left()) throw err;
          await sleep(wait);
        }
      }
    },
    async ping() {
      const res = await options.fetch(`${base}/health`, {
        redirect: 'manual',
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      await res.body?.cancel();
      if (!res.ok) throw new Error(`origin /health answered ${res.status}`);
    },
  };
}

/** Where a redirect points, as its origin only (a path or query could carry anything): ` to https://…`. */
function redirectTarget(res: Response, base: string): string {
  const location = res.headers.get('location');
  if (!location) return '';
  try {
    return ` to ${new URL(location, base).origin}`;
  } catch {
    return '';
  }
}
