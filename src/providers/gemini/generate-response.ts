import { GatewayError } from '../../errors/gateway-error.js';
import type { AssistantPart, ChatResponse, ChatUsage, FinishReason } from '../../spec/chat.js';
import type { JsonObject, JsonValue } from '../../spec/json.js';
import { num, obj, objects, str } from '../shared/json-read.js';
import { signatureFrom } from '../shared/reasoning-signature.js';

const FILTERED = new Set([
  'SAFETY',
  'RECITATION',
  'BLOCKLIST',
  'PROHIBITED_CONTENT',
  'SPII',
  'IMAGE_SAFETY',
  'LANGUAGE',
]);

export function decodeGeminiFinish(reason: string | undefined, calledTools: boolean): FinishReason {
  if (reason === 'STOP') return calledTools ? 'tool-calls' : 'stop';
  if (reason === 'MAX_TOKENS') return 'length';
  if (reason && FILTERED.has(reason)) return 'content-filter';
  return 'other';
}

/**
 * Thought tokens count as output, as reasoning tokens do in OpenAI's usage; what built-in tools
 * fetched (urlContext, googleSearch) counts as input, as Gemini bills it.
 */
export function decodeGeminiUsage(value: JsonValue | undefined): ChatUsage | null {
  const usage = obj(value);
  if (!usage) return null;
  const thoughts = num(usage.thoughtsTokenCount);
  const cached = num(usage.cachedContentTokenCount);
  return {
    inputTokens: (num(usage.promptTokenCount) ?? 0) + (num(usage.toolUsePromptTokenCount) ?? 0),
    outputTokens: (num(usage.candidatesTokenCount) ?? 0) + (thoughts ?? 0),
    ...(cached !== undefined ? { cacheReadTokens: cached } : {}),
    ...(thoughts !== undefined ? { reasoningTokens: thoughts } : {}),
  };
}

/** A prompt or answer Gemini refused outright, as the reason to report; null when it answered. */
export function geminiBlockReason(body: JsonObject): string | null {
  const prompt = str(obj(body.promptFeedback)?.blockReason);
  if (prompt) return `the prompt was blocked (${prompt})`;
  const candidate = objects(body.candidates)[0];
  const finish = str(candidate?.finishReason);
  const hasParts = objects(obj(candidate?.content)?.parts).length > 0;
  if (finish && FILTERED.has(finish) && !hasParts) return `the answer was blocked (${finish})`;
  return null;
}

/**
 * Finishes where the model's tool call failed (ai.google.dev, FinishReason): with nothing in the
 * answer, they are the upstream's failure, not an empty answer that ends a client's tool loop.
 */
const FAILED_CALL = new Set(['MALFORMED_FUNCTION_CALL', 'UNEXPECTED_TOOL_CALL', 'TOO_MANY_TOOL_CALLS']);

/** Why an answer with no parts is a failed tool call (its finish reason and message), or null. */
export function geminiFailedCall(body: JsonObject): string | null {
  const candidate = objects(body.candidates)[0];
  const finish = str(candidate?.finishReason);
  if (!finish || !FAILED_CALL.has(finish) || objects(obj(candidate?.content)?.parts).length > 0) return null;
  const message = str(candidate?.finishMessage);
  return `Gemini could not make the tool call (${finish})${message ? `: ${message}` : ''}`;
}

/**
 * Finishes that are a glitch rather than the model's answer (the tool-call failures above, an
 * answer Gemini could not form, a reason it does not give): asking again usually gets an answer.
 */
const GLITCH = new Set([
  ...FAILED_CALL,
  'FINISH_REASON_UNSPECIFIED',
  'OTHER',
  'MALFORMED_RESPONSE',
  'MISSING_THOUGHT_SIGNATURE',
]);

/**
 * Whether a whole answer is worth keeping in the response cache: its first candidate has
 * something in it and ended for a reason a repeat would get again. No candidates, or an empty or
 * glitched one, is valid JSON that a retry would usually fix. Parts of empty text (thought or
 * not) are nothing, as they are when the answer is translated (translate-response.ts).
 */
export function geminiAnswerKeepable(body: JsonObject): boolean {
  const candidate = objects(body.candidates)[0];
  if (!candidate || !objects(obj(candidate.content)?.parts).some(partHoldsSomething)) return false;
  const finish = str(candidate.finishReason);
  return finish === undefined || !GLITCH.has(finish);
}

/** Text that is not empty, or anything else a part carries (a call, data, a thought signature). */
function partHoldsSomething(part: JsonObject): boolean {
  return Object.entries(part).some(([key, value]) => (key === 'text' ? value !== '' : key !== 'thought'));
}

/** Gemini parts → canonical parts; a signature on an answer part becomes a reasoning part before it. */
export function decodeGeminiParts(
  parts: JsonObject[],
  callId: (n: number) => string,
  firstCall = 0,
): AssistantPart[] {
  const out: AssistantPart[] = [];
  let calls = firstCall;
  for (const part of parts) {
    const given = str(part.thoughtSignature);
    const signature = given ? signatureFrom('gemini', given) : undefined;
    if (part.thought === true) {
      out.push({ type: 'reasoning', text: str(part.text) ?? '', ...(signature ? { signature } : {}) });
      continue;
    }
    if (signature) out.push({ type: 'reasoning', text: '', signature });
    const text = str(part.text);
    if (text !== undefined) out.push({ type: 'text', text });
    const call = obj(part.functionCall);
    if (call) {
      out.push({
        type: 'tool-call',
        id: str(call.id) ?? callId(calls++),
        name: str(call.name) ?? '',
        arguments: JSON.stringify(call.args ?? {}),
      });
    }
  }
  return out;
}

/** Adjacent text (or unsigned thought) parts are one block of text split by Gemini's chunking. */
function mergeText(parts: AssistantPart[]): AssistantPart[] {
  const out: AssistantPart[] = [];
  for (const part of parts) {
    const last = out.at(-1);
    if (last?.type === 'text' && part.type === 'text')
      out[out.length - 1] = { ...last, text: last.text + part.text };
    else if (
      last?.type === 'reasoning' &&
      part.type === 'reasoning' &&
      !last.signature &&
      !part.signature &&
      !last.redactedData
    )
      out[out.length - 1] = { ...last, text: last.text + part.text };
    else out.push(part);
  }
  return out;
}

/** A Gemini generateContent answer → canonical response. */
export function decodeGeminiResponse(body: JsonObject): ChatResponse {
  const blocked = geminiBlockReason(body);
  if (blocked) throw new GatewayError('content_blocked', `Gemini refused: ${blocked}`);
  const failedCall = geminiFailedCall(body);
  if (failedCall) throw new GatewayError('upstream_failed', failedCall);
  const candidate = objects(body.candidates)[0] ?? {};
  const id = str(body.responseId) ?? crypto.randomUUID().replace(/-/g, '');
  const parts = mergeText(
    decodeGeminiParts(objects(obj(candidate.content)?.parts), (n) => `call_${id}_${n}`),
  );
  return {
    id: `chatcmpl-${id}`,
    model: str(body.modelVersion) ?? '',
    created: Math.floor(Date.now() / 1000),
    parts,
    finishReason: decodeGeminiFinish(
      str(candidate.finishReason),
      parts.some((p) => p.type === 'tool-call'),
    ),
    usage: decodeGeminiUsage(body.usageMetadata),
  };
}
