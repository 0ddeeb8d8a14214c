import type { AssistantPart, ChatResponse, ChatUsage, FinishReason } from '../../spec/chat.js';
import type { JsonObject, JsonValue } from '../../spec/json.js';
import { obj } from '../shared/json-read.js';
import { encryptedContent } from './responses-input.js';

/** What one Responses answer is framed with: its id, its time and the client's request. */
export interface ResponseFrame {
  /** `resp_…`: the id the client sees, continues with and stores under. */
  readonly id: string;
  /** Seconds since the epoch. */
  readonly createdAt: number;
  /** The client's body as sent (its echo fields come back in the response object). */
  readonly body: JsonObject;
}

/** A fresh id in the Responses style, e.g. `resp_3f9c…` or `msg_…`. */
export function responsesId(prefix: string): string {
  return `${prefix}_${crypto.randomUUID().replace(/-/g, '')}`;
}

export type ResponseStatus = 'in_progress' | 'completed' | 'incomplete' | 'failed';

/** The response object: the request's settings echoed, then status, output and usage. */
export function responseObject(
  frame: ResponseFrame,
  fields: {
    readonly model: string;
    readonly status: ResponseStatus;
    readonly output: readonly JsonValue[];
    readonly usage: JsonObject | null;
    readonly incomplete?: string;
    readonly error?: JsonObject;
  },
): JsonObject {
  const b = frame.body;
  const reasoning = obj(b.reasoning);
  return {
    id: frame.id,
    object: 'response',
    created_at: frame.createdAt,
    status: fields.status,
    background: false,
    error: fields.error ?? null,
    incomplete_details: fields.incomplete ? { reason: fields.incomplete } : null,
    instructions: b.instructions ?? null,
    max_output_tokens: b.max_output_tokens ?? null,
    metadata: b.metadata ?? {},
    model: fields.model,
    output: [...fields.output],
    parallel_tool_calls: b.parallel_tool_calls ?? true,
    previous_response_id: b.previous_response_id ?? null,
    reasoning: { effort: reasoning?.effort ?? null, summary: reasoning?.summary ?? null },
    store: b.store ?? true,
    temperature: b.temperature ?? 1,
    text: b.text ?? { format: { type: 'text' } },
    tool_choice: b.tool_choice ?? 'auto',
    tools: b.tools ?? [],
    top_p: b.top_p ?? 1,
    truncation: 'disabled',
    usage: fields.usage,
    user: b.user ?? null,
  };
}

/** Canonical usage → Responses `usage` (input includes cached tokens, as canonical input does). */
export function encodeResponsesUsage(usage: ChatUsage | null): JsonObject {
  const input = usage?.inputTokens ?? 0;
  const output = usage?.outputTokens ?? 0;
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: usage?.cacheReadTokens ?? 0 },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: usage?.reasoningTokens ?? 0 },
    total_tokens: input + output,
  };
}

/** `length` ends a response as incomplete (max_output_tokens), a filter as content_filter. */
export function terminalStatus(reason: FinishReason): { status: ResponseStatus; incomplete?: string } {
  if (reason === 'length') return { status: 'incomplete', incomplete: 'max_output_tokens' };
  if (reason === 'content-filter') return { status: 'incomplete', incomplete: 'content_filter' };
  return { status: 'completed' };
}

export const messageItem = (id: string, text: string, status: string): JsonObject => ({
  id,
  type: 'message',
  status,
  role: 'assistant',
  content: [outputText(text)],
});

export const outputText = (text: string): JsonObject => ({
  type: 'output_text',
  text,
  annotations: [],
  logprobs: [],
});

export function reasoningItem(id: string, text: string, encrypted: string | undefined): JsonObject {
  return {
    id,
    type: 'reasoning',
    summary: text ? [{ type: 'summary_text', text }] : [],
    ...(encrypted ? { encrypted_content: encrypted } : {}),
  };
}

export const functionCallItem = (
  id: string,
  call: { readonly id: string; readonly name: string; readonly arguments: string },
  status: string,
  naming: ToolNaming,
): JsonObject => ({
  id,
  type: 'function_call',
  status,
  call_id: call.id,
  ...naming(call.name),
  arguments: call.arguments,
});

/** An upstream tool name → the client's name and namespace (responses-request.ts `toolNaming`). */
export type ToolNaming = (name: string) => { name: string; namespace?: string };

/** Canonical assistant parts → Responses output items, in order: reasoning, message, function_call. */
export function outputItems(parts: readonly AssistantPart[], naming: ToolNaming): JsonObject[] {
  const items: JsonObject[] = [];
  let text: string | null = null;
  const flushText = () => {
    if (text !== null) items.push(messageItem(responsesId('msg'), text, 'completed'));
    text = null;
  };
  for (const part of parts) {
    if (part.type === 'text') {
      text = (text ?? '') + part.text;
      continue;
    }
    flushText();
    if (part.type === 'reasoning')
      items.push(reasoningItem(responsesId('rs'), part.text, encryptedContent(part)));
    else items.push(functionCallItem(responsesId('fc'), part, 'completed', naming));
  }
  flushText();
  return items;
}

/** Canonical response → Responses response object. */
export function encodeResponsesResponse(
  frame: ResponseFrame,
  response: ChatResponse,
  model: string,
  naming: ToolNaming,
): JsonObject {
  const end = terminalStatus(response.finishReason);
  return responseObject(frame, {
    model: response.model || model,
    status: end.status,
    output: outputItems(response.parts, naming),
    usage: encodeResponsesUsage(response.usage),
    ...(end.incomplete ? { incomplete: end.incomplete } : {}),
  });
}
