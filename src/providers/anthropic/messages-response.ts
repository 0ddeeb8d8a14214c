import type { AssistantPart, ChatRequest, ChatResponse, ChatUsage, FinishReason } from '../../spec/chat.js';
import type { JsonObject, JsonValue } from '../../spec/json.js';
import { compact, num, obj, objects, parseArguments, str } from '../shared/json-read.js';
import { signatureToClient } from '../shared/reasoning-signature.js';
import { assistantBlockToPart } from './assistant-blocks.js';
import { toAnthropicToolId } from './tool-ids.js';

export function decodeAnthropicStop(reason: string | undefined): FinishReason {
  switch (reason) {
    case 'end_turn':
      return 'stop';
    case 'stop_sequence':
      return 'stop-sequence';
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool-calls';
    case 'refusal':
      return 'content-filter';
    default:
      return 'other';
  }
}

export function encodeAnthropicStop(reason: FinishReason): string {
  switch (reason) {
    case 'stop-sequence':
      return 'stop_sequence';
    case 'length':
      return 'max_tokens';
    case 'tool-calls':
      return 'tool_use';
    case 'content-filter':
      return 'refusal';
    default:
      return 'end_turn';
  }
}

/** Anthropic's `input_tokens` excludes cache reads and writes; canonical input includes them. */
export function decodeAnthropicUsage(value: JsonValue | undefined): ChatUsage | null {
  const usage = obj(value);
  if (!usage) return null;
  const read = num(usage.cache_read_input_tokens);
  const write = num(usage.cache_creation_input_tokens);
  const forAnHour = num(obj(usage.cache_creation)?.ephemeral_1h_input_tokens);
  return {
    inputTokens: (num(usage.input_tokens) ?? 0) + (read ?? 0) + (write ?? 0),
    outputTokens: num(usage.output_tokens) ?? 0,
    ...(read !== undefined ? { cacheReadTokens: read } : {}),
    ...(write !== undefined ? { cacheWriteTokens: write } : {}),
    ...(forAnHour ? { cacheWrite1hTokens: forAnHour } : {}),
  };
}

export function encodeAnthropicUsage(usage: ChatUsage | null): JsonObject {
  const read = usage?.cacheReadTokens ?? 0;
  const write = usage?.cacheWriteTokens ?? 0;
  return {
    input_tokens: Math.max((usage?.inputTokens ?? 0) - read - write, 0),
    cache_creation_input_tokens: write,
    cache_read_input_tokens: read,
    output_tokens: usage?.outputTokens ?? 0,
  };
}

/** An Anthropic Message → canonical response. */
export function decodeAnthropicResponse(body: JsonObject): ChatResponse {
  // Block types this gateway does not know are left out of the canonical answer.
  const parts: AssistantPart[] = objects(body.content).flatMap((block) => assistantBlockToPart(block) ?? []);
  const stopSequence = str(body.stop_sequence);
  return {
    id: str(body.id) ?? 'msg_gateway',
    model: str(body.model) ?? '',
    created: Math.floor(Date.now() / 1000),
    parts,
    finishReason: decodeAnthropicStop(str(body.stop_reason)),
    ...(stopSequence ? { stopSequence } : {}),
    usage: decodeAnthropicUsage(body.usage),
  };
}

/** Canonical response → Anthropic Message. */
export function encodeAnthropicResponse(response: ChatResponse, request: ChatRequest): JsonObject {
  const content = response.parts.flatMap((p): JsonValue[] => {
    if (p.type === 'text') return p.text ? [{ type: 'text', text: p.text }] : [];
    if (p.type === 'tool-call')
      return [
        { type: 'tool_use', id: toAnthropicToolId(p.id), name: p.name, input: parseArguments(p.arguments) },
      ];
    if (p.redactedData) return [{ type: 'redacted_thinking', data: p.redactedData }];
    return [
      { type: 'thinking', thinking: p.text, signature: signatureToClient('anthropic', p.signature ?? '') },
    ];
  });
  return {
    id: anthropicId(response.id),
    type: 'message',
    role: 'assistant',
    model: response.model || request.model,
    content,
    stop_reason: encodeAnthropicStop(response.finishReason),
    stop_sequence: response.stopSequence ?? null,
    usage: encodeAnthropicUsage(response.usage),
  };
}

export function anthropicId(id: string): string {
  return id.startsWith('msg_') ? id : `msg_${id.replace(/[^A-Za-z0-9_-]/g, '')}`;
}

/** Anthropic error `type` for an HTTP status. */
export function anthropicErrorType(status: number): string {
  if (status === 400 || status === 422) return 'invalid_request_error';
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 413) return 'request_too_large';
  if (status === 429) return 'rate_limit_error';
  if (status === 529 || status === 503) return 'overloaded_error';
  if (status === 504) return 'timeout_error';
  return status < 500 ? 'invalid_request_error' : 'api_error';
}

export function anthropicErrorBody(status: number, message: string, requestId: string): JsonObject {
  return compact({
    type: 'error',
    error: { type: anthropicErrorType(status), message },
    request_id: requestId,
  });
}
