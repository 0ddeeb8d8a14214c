import { isJsonObject, type JsonObject, type JsonValue } from '../../spec/json.js';
import { signatureFor } from '../shared/reasoning-signature.js';

/**
 * A signature that is not plainly Anthropic's: empty (the gateway had none to give, the thinking
 * came from an OpenAI-format model) or named for another provider (`gemini:…`). Tested on the raw
 * body first, so a history with nothing foreign costs one scan and goes byte for byte.
 */
const SUSPECT = /"signature"\s*:\s*"(?:"|[a-z]+:)/;

/**
 * A native Anthropic body without the thinking blocks Anthropic did not sign (it answers 400
 * "Invalid signature in thinking block" to any), or null when it has none. Claude Code keeps the
 * thinking another channel gave it, and sends it to the next model after `/model`.
 */
export function withoutForeignThinking(json: JsonObject, rawBody: string): JsonObject | null {
  if (!SUSPECT.test(rawBody) || !Array.isArray(json.messages)) return null;
  let changed = false;
  const messages = json.messages.map((message): JsonValue => {
    if (!isJsonObject(message) || message.role !== 'assistant' || !Array.isArray(message.content))
      return message;
    const content = message.content.flatMap((block): JsonValue[] => {
      if (!isJsonObject(block) || block.type !== 'thinking') return [block];
      const given = typeof block.signature === 'string' ? block.signature : '';
      const own = given === '' ? undefined : signatureFor('anthropic', given);
      if (own === given) return [block];
      changed = true;
      return own ? [{ ...block, signature: own }] : [];
    });
    return content.length === message.content.length ? message : { ...message, content };
  });
  if (!changed) return null;
  const cleaned: JsonObject = { ...json, messages };
  if (thinkingAllowed(messages)) return cleaned;
  const { thinking: _dropped, ...withoutThinking } = cleaned;
  return withoutThinking;
}

/**
 * Whether Anthropic takes `thinking` with these messages: with thinking on, the last assistant
 * turn of a tool loop (it called a tool) must start with its thinking block. When another
 * provider made that turn there is none to send, so the request goes without thinking.
 */
export function thinkingAllowed(messages: readonly JsonValue[]): boolean {
  const last = messages.findLast((m) => isJsonObject(m) && m.role === 'assistant');
  if (!isJsonObject(last) || !Array.isArray(last.content)) return true;
  const usesTool = last.content.some((b) => isJsonObject(b) && b.type === 'tool_use');
  if (!usesTool) return true;
  const first = last.content[0];
  return isJsonObject(first) && (first.type === 'thinking' || first.type === 'redacted_thinking');
}
