import type { Target } from './channel.js';
import type { ChatRequest } from './chat.js';
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
  /**
   * Client headers an upstream of the client's own format should see, on a call relayed as
   * sent (e.g. `openai-beta`, which OpenAI's Assistants API requires).
   */
  readonly clientHeaders?: Readonly<Record<string, string>>;
  readonly stream: boolean;
  /** Set for chat calls: lets a provider translate when it speaks another wire format. */
  readonly chat?: ChatTranslation;
}

/** A chat call as a translating provider sees it. */
export interface ChatTranslation {
  /** The wire format the client spoke (`openai`, `anthropic`). */
  readonly clientWire: string;
  /** The client's request in canonical form, after the pipeline's rewrite; decoded on first use. */
  readonly request: () => ChatRequest;
  /** The key's pipeline rewrites requests, so even a same-format upstream needs a re-encoded body. */
  readonly rewritesRequest: boolean;
  /** Client headers a same-format upstream should see (e.g. `anthropic-beta`). */
  readonly forwardHeaders: Readonly<Record<string, string>>;
}

/** A fully built upstream HTTP request. */
export interface OutgoingRequest {
  readonly url: string;
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly body: string | ArrayBuffer | null;
}

/** `fetch` options plus hints a runtime's fetch may honour and any other fetch ignores. */
export interface UpstreamInit extends RequestInit {
  /**
   * The channel's connect time-out (`timeout.connect_ms`). The Node fetch honours it; a Workers
   * fetch cannot (the platform owns the connection), so there the first-byte time-out covers
   * the connect as well.
   */
  readonly connectTimeoutMs?: number;
}

/**
 * The upstream fetch a runtime supplies. Any standard fetch satisfies it; a runtime's own one
 * should reject transport failures as `UpstreamTransportError` (src/spec/transport-error.ts) so
 * that a connect time-out is told apart from other failures.
 */
export type FetchLike = (url: string, init: UpstreamInit) => Promise<Response>;

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
  /** The chat wire format it speaks (`openai`, `anthropic`, `gemini`); absent means `openai`. */
  readonly wire?: string;
  /**
   * Other client wire formats it takes unchanged at the client's own path (e.g. OpenAI's
   * `openai-responses`): a call in one of them is relayed, not translated.
   */
  readonly nativeWires?: readonly string[];
  buildRequest(call: UpstreamCall): OutgoingRequest;
  send?(request: OutgoingRequest, call: UpstreamCall, signal: AbortSignal): Promise<Response>;
}
