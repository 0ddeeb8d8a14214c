import type { Target } from './channel.js';
import type { JsonObject } from './json.js';

/** What the client asked for, in gateway terms. */
export type Operation = 'chat' | 'completions' | 'embeddings' | 'passthrough';

/** One upstream attempt: a client request bound to one target and one upstream key. */
export interface UpstreamCall {
  readonly operation: Operation;
  readonly target: Target;
  /** The upstream key for this attempt ('' for keyless local servers). */
  readonly apiKey: string;
  readonly method: string;
  /** Path below `/v1`, e.g. `/chat/completions` or `/audio/speech`. */
  readonly path: string;
  /** Query string including `?`, or ''. */
  readonly search: string;
  /** Parsed JSON body for JSON operations. */
  readonly json: JsonObject | null;
  /** The body exactly as the client sent it; forwarded untouched when nothing must change. */
  readonly rawBody: string | ArrayBuffer | null;
  readonly contentType: string | null;
  readonly stream: boolean;
}

/** A fully built upstream HTTP request. */
export interface OutgoingRequest {
  readonly url: string;
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly body: string | ArrayBuffer | null;
}

export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

/**
 * A provider turns a call into an upstream request. Providers that need no network (the mock)
 * also answer it themselves through `send`.
 */
export interface Provider {
  readonly name: string;
  /** Base URL used when a channel does not set one. */
  readonly defaultBaseUrl: string | null;
  /** Whether a channel of this provider must have at least one key. */
  readonly requiresKey: boolean;
  /** Whether any OpenAI `/v1/*` path can be forwarded to it unchanged (the pass-through route). */
  readonly forwardsAnyPath: boolean;
  buildRequest(call: UpstreamCall): OutgoingRequest;
  send?(request: OutgoingRequest, call: UpstreamCall, signal: AbortSignal): Promise<Response>;
}
