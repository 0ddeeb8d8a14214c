import { isJsonObject, type JsonObject, type JsonValue } from '../spec/json.js';
import type { TokenUsage } from '../spec/usage.js';
import type { CountMethod, TokenCount, TokenCounter } from './token-counter.js';

/** OpenAI's chat format adds a few tokens per message for roles and separators. */
const PER_MESSAGE_OVERHEAD = 4;
const PER_REQUEST_OVERHEAD = 3;
/**
 * Not text tokens: roles are in the per-message overhead, and counting base64 image or audio
 * payloads would inflate the estimate far past what providers bill for them.
 */
const SKIPPED_KEYS = new Set([
  'role',
  'type',
  'image_url',
  'input_audio',
  'source',
  'cache_control',
  // Gemini: inline and file data, opaque thought signatures (by JSON or proto name: its REST API
  // and the Gemini front door take either).
  'inlineData',
  'fileData',
  'thoughtSignature',
  'inline_data',
  'file_data',
  'thought_signature',
  // Responses: reasoning items carried back as opaque blobs.
  'encrypted_content',
]);

/**
 * The texts a request sends the model: message contents, prompt or input, tool definitions, each
 * string apart. They are counted one by one, as providers count each message, so the counter can
 * remember each (a system prompt, a conversation's history, resent with every request).
 */
export function promptParts(json: JsonObject | null): { parts: string[]; messages: number } {
  if (!json) return { parts: [], messages: 0 };
  const parts: string[] = [];
  let messages = 0;
  if (Array.isArray(json.messages)) {
    for (const message of json.messages) {
      messages++;
      collectText(message, parts);
    }
  }
  // Gemini's turns and system instruction.
  if (Array.isArray(json.contents)) {
    for (const content of json.contents) {
      messages++;
      collectText(content, parts);
    }
  }
  const system = json.systemInstruction ?? json.system_instruction;
  if (system !== undefined) collectText(system, parts);
  if (typeof json.system === 'string' || Array.isArray(json.system)) collectText(json.system, parts);
  if (json.prompt !== undefined) collectText(json.prompt, parts);
  // Responses: the system prompt, then the conversation's items (each a message, as in chat).
  if (typeof json.instructions === 'string') {
    messages++;
    parts.push(json.instructions);
  }
  if (Array.isArray(json.input)) {
    for (const item of json.input) {
      if (isJsonObject(item)) messages++;
      collectText(item, parts);
    }
  } else if (json.input !== undefined) collectText(json.input, parts);
  if (Array.isArray(json.tools)) parts.push(JSON.stringify(json.tools));
  return { parts, messages };
}

/** Every string value under a message (content parts, tool-call arguments, names). */
function collectText(value: JsonValue | undefined, out: string[]): void {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const item of value) collectText(item, out);
  else if (isJsonObject(value)) {
    for (const [key, item] of Object.entries(value)) {
      if (SKIPPED_KEYS.has(key)) continue;
      collectText(item, out);
    }
  }
}

export function estimatePromptTokens(
  counter: TokenCounter,
  json: JsonObject | null,
  model: string | null,
  load = true,
  /** Whose prompt it is (the user id): the counter remembers texts per scope. */
  scope?: string,
): TokenCount {
  const { parts, messages } = promptParts(json);
  if (messages === 0 && parts.every((part) => part === '')) return { tokens: 0, method: 'tokenizer' };
  const counted = counter.countParts(parts, model, load, scope);
  return {
    tokens: counted.tokens + messages * PER_MESSAGE_OVERHEAD + PER_REQUEST_OVERHEAD,
    method: counted.method,
  };
}

/**
 * A whole estimated usage from the prompt and the completion text the client received. `load`
 * false (a partial count, of a stream cut short): the tokenizer counts only if it is loaded
 * already; such a count does not load it.
 */
export function estimateUsage(
  counter: TokenCounter,
  json: JsonObject | null,
  completionText: string,
  model: string | null,
  load = true,
  /** Whose request it is (the user id): see estimatePromptTokens. */
  scope?: string,
): { usage: TokenUsage; method: CountMethod } {
  const prompt = estimatePromptTokens(counter, json, model, load, scope);
  const completion = counter.count(completionText, model, load);
  return {
    usage: {
      promptTokens: prompt.tokens,
      completionTokens: completion.tokens,
      totalTokens: prompt.tokens + completion.tokens,
    },
    // One heuristic part makes the whole record a heuristic estimate.
    method: prompt.method === 'heuristic' || completion.method === 'heuristic' ? 'heuristic' : 'tokenizer',
  };
}
