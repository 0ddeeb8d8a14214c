import type { JsonObject } from './json.js';

/**
 * The canonical chat model every front door and upstream adapter maps to and from. It keeps
 * what any one wire format can say (reasoning signatures, cache hints, raw tool-call argument
 * text) so a round trip through it loses nothing the other side can represent.
 */

/** Provider cache hints (Anthropic `cache_control`), carried as given. */
export type CacheControl = JsonObject;

export interface TextPart {
  readonly type: 'text';
  readonly text: string;
  readonly cacheControl?: CacheControl;
}

export interface ImagePart {
  readonly type: 'image';
  /** Either inline base64 data with its media type, or a URL the upstream fetches. */
  readonly source:
    | { readonly kind: 'base64'; readonly mediaType: string; readonly data: string }
    | { readonly kind: 'url'; readonly url: string };
  readonly cacheControl?: CacheControl;
}

export interface ReasoningPart {
  readonly type: 'reasoning';
  readonly text: string;
  /** Anthropic thinking signature / Gemini thought signature; needed to send the turn back. */
  readonly signature?: string;
  /** Encrypted (redacted) reasoning, opaque to everyone but its provider. */
  readonly redactedData?: string;
}

export interface ToolCallPart {
  readonly type: 'tool-call';
  readonly id: string;
  readonly name: string;
  /** The arguments as JSON text, exactly as the model produced them. */
  readonly arguments: string;
  readonly cacheControl?: CacheControl;
}

export interface ToolResultPart {
  readonly type: 'tool-result';
  readonly toolCallId: string;
  /** The called tool's name when the source format knows it (Gemini needs it). */
  readonly name?: string;
  readonly content: readonly (TextPart | ImagePart)[];
  readonly isError?: boolean;
  readonly cacheControl?: CacheControl;
}

export type UserPart = TextPart | ImagePart;
export type AssistantPart = TextPart | ReasoningPart | ToolCallPart;

export type ChatMessage =
  | { readonly role: 'user'; readonly parts: readonly UserPart[] }
  | { readonly role: 'assistant'; readonly parts: readonly AssistantPart[] }
  /** Results of earlier tool calls: OpenAI `tool` messages, Anthropic `tool_result` blocks. */
  | { readonly role: 'tool'; readonly parts: readonly ToolResultPart[] }
  /**
   * An instruction inside the conversation, after the first turn (Claude Code sends these).
   * Upstreams that take system messages anywhere keep it in place; others fold it into the
   * system prompt (src/providers/shared/system-messages.ts).
   */
  | { readonly role: 'system'; readonly parts: readonly TextPart[] };

export interface ToolDefinition {
  readonly name: string;
  readonly description?: string;
  /** JSON Schema of the arguments. */
  readonly parameters: JsonObject;
  /**
   * The client asked for calls whose arguments always match the schema (OpenAI chat
   * `function.strict`, Responses `strict`); absent when it said nothing.
   */
  readonly strict?: boolean;
  readonly cacheControl?: CacheControl;
}

export type ToolChoice = 'auto' | 'none' | 'required' | { readonly name: string };

export interface ReasoningOptions {
  /** Explicit token budget (Anthropic `budget_tokens`, Gemini `thinkingBudget`). */
  readonly budgetTokens?: number;
  /** OpenAI-style effort, mapped to a budget where the upstream wants one. */
  readonly effort?: 'minimal' | 'low' | 'medium' | 'high';
  /**
   * `adaptive`: the client leaves thinking to the model (Anthropic adaptive thinking, or an
   * effort alone), so it is asked for only where the upstream model is known to take it.
   * `disabled`: the client turned thinking off.
   */
  readonly mode?: 'adaptive' | 'disabled';
}

/** Structured output: any JSON object, or JSON matching a schema (OpenAI `response_format`). */
export type ResponseFormat =
  | { readonly type: 'json_object' }
  | {
      readonly type: 'json_schema';
      readonly name: string;
      readonly schema: JsonObject;
      readonly strict?: boolean;
      readonly description?: string;
    };

export interface ChatRequest {
  /** The model as the client named it; adapters write the upstream model instead. */
  readonly model: string;
  readonly system: readonly TextPart[];
  readonly messages: readonly ChatMessage[];
  readonly tools: readonly ToolDefinition[];
  readonly toolChoice?: ToolChoice;
  readonly parallelToolCalls?: boolean;
  readonly maxTokens?: number;
  readonly temperature?: number;
  readonly topP?: number;
  readonly topK?: number;
  readonly stop: readonly string[];
  readonly stream: boolean;
  /** OpenAI `stream_options.include_usage`: whether an OpenAI client wants the usage chunk. */
  readonly includeUsage: boolean;
  readonly reasoning?: ReasoningOptions;
  /** End-user id for abuse tracking (OpenAI `user`, Anthropic `metadata.user_id`). */
  readonly user?: string;
  /** OpenAI `response_format`, Gemini `responseMimeType` + `responseSchema`. */
  readonly responseFormat?: ResponseFormat;
  /** OpenAI `n`: how many choices to answer (absent: one). Only OpenAI-format upstreams give more. */
  readonly choices?: number;
}

export type FinishReason = 'stop' | 'stop-sequence' | 'length' | 'tool-calls' | 'content-filter' | 'other';

/** Token counts. `inputTokens` includes cached input, as OpenAI's `prompt_tokens` does. */
export interface ChatUsage {
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cacheReadTokens?: number;
  readonly cacheWriteTokens?: number;
  /** Of `cacheWriteTokens`, those written with Anthropic's 1-hour TTL. */
  readonly cacheWrite1hTokens?: number;
  readonly reasoningTokens?: number;
}

export interface ChatResponse {
  readonly id: string;
  readonly model: string;
  readonly created: number;
  readonly parts: readonly AssistantPart[];
  readonly finishReason: FinishReason;
  readonly stopSequence?: string;
  readonly usage: ChatUsage | null;
}
