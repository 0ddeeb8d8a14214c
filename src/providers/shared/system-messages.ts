import type { ChatMessage, ChatRequest, TextPart } from '../../spec/chat.js';

/**
 * For upstreams whose system prompt lives outside the conversation (Anthropic `system`, Gemini
 * `systemInstruction`): the system prompt with every in-conversation system message appended in
 * order, and the conversation without them.
 */
export function foldSystemMessages(request: ChatRequest): {
  readonly system: readonly TextPart[];
  readonly messages: readonly Exclude<ChatMessage, { role: 'system' }>[];
} {
  const system: TextPart[] = [...request.system];
  const messages: Exclude<ChatMessage, { role: 'system' }>[] = [];
  for (const message of request.messages) {
    if (message.role === 'system') system.push(...message.parts);
    else messages.push(message);
  }
  return { system, messages };
}
