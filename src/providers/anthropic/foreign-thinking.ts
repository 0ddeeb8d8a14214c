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
 * Whether Anthropic takes `thinking` with these messages. With thinking on, an assistant turn
 * still in progress (a tool loop: assistant messages and tool results since the last message
 * the user wrote) must start with its thinking block; later steps of the turn need none. When
 * another provider made that first step there is no thinking Anthropic would take, so the
 * request goes without thinking.
 */
export function thinkingAllowed(messages: readonly JsonValue[]): boolean {
  const lastUserText = messages.findLastIndex(
    (m) => isJsonObject(m) && m.role === 'user' && !answersTools(m),
  );
  const turn = messages.slice(lastUserText + 1).filter((m) => isJsonObject(m) && m.role === 'assistant');
  const first = turn[0];
  if (!isJsonObject(first) || !Array.isArray(first.content)) return true;
  const usesTools = turn.some(
    (m) =>
      isJsonObject(m) &&
      Array.isArray(m.content) &&
      m.content.some((b) => isJsonObject(b) && b.type === 'tool_use'),
  );
  if (!usesTools) return true;
  const opening = first.content[0];
  return isJsonObject(opening) && (opening.type === 'thinking' || opening.type === 'redacted_thinking');
}

/** A user message that answers tool calls: a step of the assistant's turn, not a new turn. */
function answersTools(message: JsonObject): boolean {
  const { content } = message;
  return Array.isArray(content) && content.some((b) => isJsonObject(b) && b.type === 'tool_result');
}
