import type { Context, MiddlewareHandler } from 'hono';
import type { KeySource } from '../auth/extract-key.js';
import type { ChatContext } from '../http/chat-call.js';
import type { GatewayEnv } from '../http/context.js';
import type { ClientCall } from '../router/forward.js';
import type { JsonObject } from '../spec/json.js';
import type { Principal } from '../spec/principal.js';
import type { Operation } from '../spec/provider.js';
import type { TokenCounter } from '../usage/token-counter.js';

/** What a front door hands the pipeline: the client's request as a call description. */
export interface CallDescription {
  /** The model the client asked for (before aliases), when the request names one. */
  readonly model: string | null;
  /** Streamed answer, as the request body says. */
  readonly stream: boolean;
  /** The parsed body (for estimates, limits and the cache key); null when it is not JSON. */
  readonly json: JsonObject | null;
  /**
   * False when no model generates the answer (a pass-through call on the upstream account's
   * resources: a listing, a GET, a DELETE, a batch): an answer without usage then counts no
   * tokens, rather than its text being estimated as output. Absent: true.
   */
  readonly generated?: boolean;
  /** What goes upstream (a front door may add to the client's body, e.g. stream usage). */
  readonly upstream: Pick<
    ClientCall,
    'method' | 'path' | 'search' | 'json' | 'rawBody' | 'contentType' | 'clientHeaders'
  >;
  /** Route name in the response-cache key; absent = never cached. */
  readonly cacheRoute?: string;
  /**
   * The sampling temperature, where the request's format keeps it (the cache serves only
   * temperature 0 by default); absent: the body's top-level `temperature`.
   */
  readonly temperature?: unknown;
  /**
   * Whether a request of this format has the provider search the web, fetch pages, run code or
   * call MCP servers (its format's reading, asked only when the cache would keep the answer);
   * absent: none can.
   */
  readonly liveTools?: (json: JsonObject) => boolean;
  /** Chat calls: the wire format the answer is encoded in and the key's pipeline. */
  readonly chat?: ChatContext;
  /** Drop the stream usage event the front door asked the upstream for on the client's behalf. */
  readonly stripStreamUsage?: boolean;
  /** Answered by the gateway itself (no upstream, no usage record), e.g. count_tokens. */
  readonly local?: () => Response | Promise<Response>;
}

/** What a front door may read while decoding. */
export interface DecodeInput {
  readonly c: Context<GatewayEnv>;
  readonly principal: Principal;
  /** The mount point (`/v1`, `/api/v1`). */
  readonly base: string;
  /** Whether to ask OpenAI-format upstreams for stream usage (config `usage.request_stream_usage`). */
  readonly requestStreamUsage: boolean;
  /** The runtime's token counter (the heuristic when the gateway has no accounting). */
  readonly tokenCounter: TokenCounter;
  /**
   * Config `routing.deny_account_resources`: what the upstream account holds (files, batches,
   * stored completions, …) is out of reach of every key, not only of model-restricted ones.
   */
  readonly denyAccountResources: boolean;
}

/**
 * One client protocol plugged into the pipeline (src/pipeline/run-request.ts): it says which
 * requests it takes, decodes them into a call description and its error shape; the pipeline does
 * every other step. Adding a protocol is one of these plus one line in front-doors/index.ts.
 */
export interface FrontDoor {
  readonly name: string;
  /**
   * Under the mount point, e.g. `/chat/completions`; `/*` takes everything else. Hono patterns
   * work, but every route must compile into Hono's RegExpRouter (test/e2e/fast-router.test.ts):
   * doors told apart by a pattern at the same place use `customMethod` instead.
   */
  readonly path: string;
  /**
   * For a path ending in `/*` whose last segment ends in `:{method}` (Google's custom methods,
   * `/models/{model}:generateContent`): the method this door answers. Doors with the same path
   * share one route (src/pipeline/custom-method-route.ts); a request for a method none of them
   * answers goes on to the routes after it.
   */
  readonly customMethod?: string;
  /** How metrics and traces name the route when `path` is a router pattern (default: `path`). */
  readonly label?: string;
  /** Mount points of a protocol with its own (Gemini: `/v1beta`); absent: `/v1` and `/api/v1`. */
  readonly bases?: readonly string[];
  /** Where this protocol's clients send the key; absent: Authorization Bearer or x-api-key. */
  readonly keySource?: KeySource;
  readonly method: 'POST' | 'ALL';
  /** The operation recorded and routed (`passthrough` forwards any path). */
  readonly operation: Operation;
  /** False for a door the gateway answers itself (no usage record). */
  readonly metered: boolean;
  decode(input: DecodeInput): Promise<CallDescription>;
  /** Re-shapes error answers into the protocol's own envelope (absent: OpenAI's). */
  readonly errors?: MiddlewareHandler<GatewayEnv>;
}
