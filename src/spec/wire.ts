import type { ChatRequest, ChatResponse } from './chat.js';
import type { JsonObject } from './json.js';
import type { StreamPart } from './stream-part.js';

/** One server-sent event: its `event:` name (if any) and its joined `data:` lines. */
export interface SseEvent {
  readonly event?: string;
  readonly data: string;
}

/** What an upstream-side encoder needs to know besides the canonical request. */
export interface EncodeContext {
  /** The model name the upstream knows. */
  readonly model: string;
  readonly stream: boolean;
  /**
   * The upstream turns reasoning on and off with `thinking: {type: "enabled" | "disabled"}`
   * instead of taking `reasoning_effort` (set by the channel's provider preset).
   */
  readonly thinkingSwitch?: boolean;
  /**
   * The upstream takes the output limit as `max_completion_tokens` (OpenAI, Azure OpenAI), whose
   * reasoning models refuse `max_tokens`; others get `max_tokens`, which every compatible server knows.
   */
  readonly maxCompletionTokens?: boolean;
  /**
   * The most output the upstream model gives (the channel's `max_output_tokens`, else the built-in
   * table); a request without a cap of its own is sent none above it.
   */
  readonly outputLimit?: number;
}

/** The upstream side of a wire format: canonical request out, canonical response back. */
export interface UpstreamCodec {
  encodeRequest(request: ChatRequest, context: EncodeContext): JsonObject;
  /** Throws a GatewayError when the body is an answer that is really an error (e.g. a blocked prompt). */
  decodeResponse(body: JsonObject): ChatResponse;
  decodeStream(): TransformStream<SseEvent, StreamPart>;
}

export interface ClientErrorInfo {
  readonly status: number;
  /** Gateway error code or the upstream's own code. */
  readonly code: string;
  readonly message: string;
  readonly requestId: string;
  /** The answer's Retry-After in seconds, when it has one (a limit's refusal, an upstream 429). */
  readonly retryAfterSeconds?: number;
}

/** The client side of a wire format: a front door decodes requests and encodes answers with it. */
export interface ClientCodec {
  decodeRequest(body: JsonObject): ChatRequest;
  encodeResponse(response: ChatResponse, request: ChatRequest): JsonObject;
  encodeStream(request: ChatRequest, requestId: string): TransformStream<StreamPart, Uint8Array>;
  /** The content type of `encodeStream`'s bytes (absent: `text/event-stream`). */
  readonly streamContentType?: string;
  /** The error body this wire format's clients parse. */
  errorBody(error: ClientErrorInfo): JsonObject;
}

/** A wire format by name: `openai`, `anthropic`, `gemini`. Client side only for front doors. */
export interface WireFormat {
  readonly name: string;
  readonly upstream: UpstreamCodec;
  readonly client?: ClientCodec;
  readonly passthrough?: PassthroughHooks;
}

/**
 * How the byte pass-through ends a same-format stream it does not decode: the terminal error
 * event its clients understand. Absent means the OpenAI format. (Usage is read in every known
 * shape by the shared accounting tap.)
 */
export interface PassthroughHooks {
  errorEvent(message: string, timedOut: boolean, requestId: string): Uint8Array;
  /**
   * The client takes the stream framed otherwise than the upstream's SSE (Gemini's JSON array
   * without `alt=sse`): the relayed events, error event included, go out re-framed, unchanged.
   */
  readonly reframe?: StreamReframing;
  /**
   * Whether a whole 200 answer may be kept in the response cache; absent means every one. An
   * answer a retry would usually fix (nothing in it, a tool call the model could not make) is not.
   */
  keepable?(answer: JsonObject): boolean;
  /**
   * A complete stream's events (their JSON data, in order) folded into the whole answer they
   * make, for `keepable` to judge a stream as it judges a whole answer; absent means every
   * complete stream is kept.
   */
  streamAnswer?(events: readonly JsonObject[]): JsonObject;
}

/** A re-framing of relayed SSE bytes (whole events in, the client's framing out). */
export interface StreamReframing {
  readonly contentType: string;
  create(): ByteReframer;
}

export interface ByteReframer {
  /** Takes whole SSE events; returns their re-framed bytes (possibly empty). */
  push(chunk: Uint8Array): Uint8Array;
  /** The closing bytes, once the stream has ended. */
  flush(): Uint8Array;
}
