import type { AssistantPart, ChatRequest, ChatResponse, ChatUsage, FinishReason } from '../../spec/chat.js';
import type { JsonObject, JsonValue } from '../../spec/json.js';
import { compact, num, obj, objects, str } from '../shared/json-read.js';

/**
 * `calledTools`: the answer holds tool calls. OpenAI (and vLLM) finish a call forced by a named
 * tool_choice with "stop", not "tool_calls"; reported as a plain stop, an Anthropic client would
 * read the turn as ended and leave its tool loop.
 */
export function decodeOpenAiFinish(reason: string | undefined, calledTools: boolean): FinishReason {
  switch (reason) {
    case 'stop':
      return calledTools ? 'tool-calls' : 'stop';
    case 'length':
      return 'length';
    case 'tool_calls':
    case 'function_call':
      return 'tool-calls';
    case 'content_filter':
      return 'content-filter';
    default:
      return 'other';
  }
}

/**
 * The stop sequence an answer ended on: vLLM names it in the choice's `stop_reason` (a token id
 * when an EOS-like token stopped it). OpenAI says only "stop", so elsewhere it stays unknown.
 */
export function openAiStopSequence(choice: JsonObject | undefined): string | undefined {
  return choice?.finish_reason === 'stop' ? str(choice.stop_reason) || undefined : undefined;
}

export function encodeOpenAiFinish(reason: FinishReason): string {
  switch (reason) {
    case 'length':
      return 'length';
    case 'tool-calls':
      return 'tool_calls';
    case 'content-filter':
      return 'content_filter';
    default:
      return 'stop';
  }
}

export function decodeOpenAiUsage(value: JsonValue | undefined): ChatUsage | null {
  const usage = obj(value);
  if (!usage) return null;
  // DeepSeek reports cache hits in its own field (with prompt_cache_miss_tokens beside it).
  const cacheRead =
    num(obj(usage.prompt_tokens_details)?.cached_tokens) ?? num(usage.prompt_cache_hit_tokens);
  const cacheWrite = num(obj(usage.prompt_tokens_details)?.cache_write_tokens);
  const reasoning = num(obj(usage.completion_tokens_details)?.reasoning_tokens);
  return {
    inputTokens: num(usage.prompt_tokens) ?? 0,
    outputTokens: num(usage.completion_tokens) ?? 0,
    ...(cacheRead !== undefined ? { cacheReadTokens: cacheRead } : {}),
    ...(cacheWrite !== undefined ? { cacheWriteTokens: cacheWrite } : {}),
    ...(reasoning !== undefined ? { reasoningTokens: reasoning } : {}),
  };
}

export function encodeOpenAiUsage(usage: ChatUsage): JsonObject {
  const promptDetails = compact({
    cached_tokens: usage.cacheReadTokens,
    cache_write_tokens: usage.cacheWriteTokens,
  });
  return compact({
    prompt_tokens: usage.inputTokens,
    completion_tokens: usage.outputTokens,
    total_tokens: usage.inputTokens + usage.outputTokens,
    prompt_tokens_details: Object.keys(promptDetails).length > 0 ? promptDetails : undefined,
    completion_tokens_details:
      usage.reasoningTokens !== undefined ? { reasoning_tokens: usage.reasoningTokens } : undefined,
  });
}

/** An OpenAI chat completion → canonical response. */
export function decodeOpenAiResponse(body: JsonObject): ChatResponse {
  const choice = objects(body.choices)[0] ?? {};
  const message = obj(choice.message) ?? {};
  const parts: AssistantPart[] = [];
  const calls = objects(message.tool_calls);
  const reasoning = str(message.reasoning_content) ?? str(message.reasoning);
  const signature = str(message.reasoning_signature);
  if (reasoning || signature)
    parts.push({ type: 'reasoning', text: reasoning ?? '', ...(signature ? { signature } : {}) });
  const content = str(message.content);
  if (content) parts.push({ type: 'text', text: content });
  // A refusal (content null; typical with structured outputs) is what the model said: text for
  // clients of other formats, as the Responses front door reads a refusal part sent back.
  const refusal = content ? undefined : str(message.refusal);
  if (refusal) parts.push({ type: 'text', text: refusal });
  for (const call of calls) {
    const fn = obj(call.function);
    parts.push({
      type: 'tool-call',
      id: str(call.id) ?? '',
      name: str(fn?.name) ?? '',
      arguments: str(fn?.arguments) ?? '',
    });
  }
  const stopSequence = calls.length > 0 ? undefined : openAiStopSequence(choice);
  return {
    id: str(body.id) ?? 'chatcmpl-gateway',
    model: str(body.model) ?? '',
    created: num(body.created) ?? Math.floor(Date.now() / 1000),
    parts,
    finishReason: stopSequence
      ? 'stop-sequence'
      : decodeOpenAiFinish(str(choice.finish_reason), calls.length > 0),
    ...(stopSequence ? { stopSequence } : {}),
    usage: decodeOpenAiUsage(body.usage),
  };
}

/**
 * Canonical response → OpenAI chat completion. Reasoning goes in `reasoning_content` (the field
 * DeepSeek, Kimi and GLM use) and its signature in `reasoning_signature`, so a client that sends
 * the message back lets an Anthropic upstream verify the thinking.
 */
export function encodeOpenAiResponse(response: ChatResponse, request: ChatRequest): JsonObject {
  const text = response.parts.flatMap((p) => (p.type === 'text' ? [p.text] : [])).join('');
  const reasoning = response.parts.flatMap((p) => (p.type === 'reasoning' ? [p.text] : [])).join('');
  const signature = response.parts.flatMap((p) =>
    p.type === 'reasoning' && p.signature ? [p.signature] : [],
  )[0];
  const calls = response.parts.flatMap((p) =>
    p.type === 'tool-call'
      ? [{ id: p.id, type: 'function', function: { name: p.name, arguments: p.arguments } }]
      : [],
  );
  const message = compact({
    role: 'assistant',
    content: text || (calls.length > 0 ? null : ''),
    reasoning_content: reasoning || undefined,
    reasoning_signature: signature,
    tool_calls: calls.length > 0 ? calls : undefined,
    refusal: null,
  });
  return compact({
    id: response.id,
    object: 'chat.completion',
    created: response.created,
    model: response.model || request.model,
    choices: [
      { index: 0, message, logprobs: null, finish_reason: encodeOpenAiFinish(response.finishReason) },
    ],
    usage: response.usage ? encodeOpenAiUsage(response.usage) : undefined,
  });
}

/** The OpenAI error envelope. */
export function openAiErrorBody(code: string, message: string, type: string, requestId: string): JsonObject {
  return { error: { message, type, code, param: null, request_id: requestId } };
}
