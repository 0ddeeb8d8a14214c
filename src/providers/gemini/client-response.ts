import type { AssistantPart, ChatRequest, ChatResponse, ChatUsage, FinishReason } from '../../spec/chat.js';
import type { JsonObject } from '../../spec/json.js';
import type { ClientErrorInfo } from '../../spec/wire.js';
import { compact, parseArguments } from '../shared/json-read.js';
import { signatureToClient } from '../shared/reasoning-signature.js';

/** Canonical finish → Gemini `finishReason` (a tool call ends with STOP, as Gemini's do). */
export function encodeGeminiFinish(reason: FinishReason): string {
  if (reason === 'length') return 'MAX_TOKENS';
  if (reason === 'content-filter') return 'SAFETY';
  if (reason === 'other') return 'OTHER';
  return 'STOP';
}

/** Canonical usage → `usageMetadata`; thought tokens are reported apart from the candidates'. */
export function encodeGeminiUsage(usage: ChatUsage | null): JsonObject | undefined {
  if (!usage) return undefined;
  const thoughts = usage.reasoningTokens ?? 0;
  return compact({
    promptTokenCount: usage.inputTokens,
    candidatesTokenCount: Math.max(0, usage.outputTokens - thoughts),
    totalTokenCount: usage.inputTokens + usage.outputTokens,
    thoughtsTokenCount: usage.reasoningTokens,
    cachedContentTokenCount: usage.cacheReadTokens,
  });
}

/**
 * Canonical answer parts → Gemini parts: reasoning as `thought: true` parts; a signature travels
 * on the part after the thinking (where Gemini puts it and wants it back).
 */
export function encodeGeminiParts(parts: readonly AssistantPart[]): JsonObject[] {
  const out: JsonObject[] = [];
  let signature: string | undefined;
  for (const part of parts) {
    if (part.type === 'reasoning') {
      if (part.text) out.push({ text: part.text, thought: true });
      signature = part.signature ? signatureToClient('gemini', part.signature) : signature;
      continue;
    }
    const sig: JsonObject = signature ? { thoughtSignature: signature } : {};
    signature = undefined;
    if (part.type === 'text') out.push({ text: part.text, ...sig });
    else out.push({ functionCall: geminiFunctionCall(part.id, part.name, part.arguments), ...sig });
  }
  if (signature) out.push({ text: '', thoughtSignature: signature });
  return out;
}

export function geminiFunctionCall(id: string, name: string, argumentText: string): JsonObject {
  return { id, name, args: parseArguments(argumentText) };
}

/** A GenerateContentResponse (or one stream chunk of it). */
export function geminiChunk(
  fields: { parts: JsonObject[]; finishReason?: string; usage?: JsonObject | undefined },
  model: string,
  responseId: string,
): JsonObject {
  const candidate = compact({
    content: { role: 'model', parts: fields.parts },
    finishReason: fields.finishReason,
    index: 0,
  });
  return compact({
    candidates: [candidate],
    usageMetadata: fields.usage,
    modelVersion: model,
    responseId,
  });
}

export function encodeGeminiClientResponse(response: ChatResponse, request: ChatRequest): JsonObject {
  return geminiChunk(
    {
      parts: encodeGeminiParts(response.parts),
      finishReason: encodeGeminiFinish(response.finishReason),
      usage: encodeGeminiUsage(response.usage),
    },
    response.model || request.model,
    geminiResponseId(response.id),
  );
}

export function geminiResponseId(id: string): string {
  return id.replace(/^(chatcmpl-|msg_)/, '');
}

/** Google's RPC status name for an HTTP status, as in Gemini's error bodies. */
export function geminiStatus(status: number): string {
  if (status === 400 || status === 413 || status === 422) return 'INVALID_ARGUMENT';
  if (status === 401) return 'UNAUTHENTICATED';
  if (status === 403) return 'PERMISSION_DENIED';
  if (status === 404) return 'NOT_FOUND';
  if (status === 405) return 'UNIMPLEMENTED';
  if (status === 409) return 'ABORTED';
  if (status === 429) return 'RESOURCE_EXHAUSTED';
  if (status === 499) return 'CANCELLED';
  if (status === 501) return 'UNIMPLEMENTED';
  if (status === 503 || status === 502 || status === 529) return 'UNAVAILABLE';
  if (status === 504) return 'DEADLINE_EXCEEDED';
  return status < 500 ? 'FAILED_PRECONDITION' : 'INTERNAL';
}

/**
 * `{"error":{"code","message","status","details"}}`, the request id in a RequestInfo detail and a
 * Retry-After in a RetryInfo one, as Google's API says it: Gemini clients (Gemini CLI) read when
 * to retry there, not in the header.
 */
export function geminiErrorBody({
  status,
  message,
  requestId,
  retryAfterSeconds,
}: ClientErrorInfo): JsonObject {
  const retry =
    retryAfterSeconds === undefined
      ? []
      : [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${retryAfterSeconds}s` }];
  return {
    error: {
      code: status,
      message,
      status: geminiStatus(status),
      details: [{ '@type': 'type.googleapis.com/google.rpc.RequestInfo', requestId }, ...retry],
    },
  };
}
