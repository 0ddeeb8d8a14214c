import type { ChatRequest } from '../spec/chat.js';
import type { TokenCounter } from './token-counter.js';

/** Per-message and per-image overheads, in the spirit of OpenAI's chat token accounting. */
const MESSAGE_OVERHEAD = 4;
const IMAGE_TOKENS = 1_600;

/**
 * Input tokens for a request (`/v1/messages/count_tokens`). Waits for the runtime's tokenizer,
 * since counting is all this route does. Providers' own tokenizers differ (Claude's counts run
 * higher on code), so this is an estimate close enough for context budgeting, not a bill.
 */
export async function countInputTokens(
  request: ChatRequest,
  counter: TokenCounter,
  /** Whose request it is (the user id): the counter remembers texts per scope. */
  scope: string,
): Promise<number> {
  await counter.ready();
  let total = 0;
  const text: string[] = request.system.map((p) => p.text);
  if (request.system.length > 0) total += MESSAGE_OVERHEAD;
  for (const message of request.messages) {
    total += MESSAGE_OVERHEAD;
    for (const part of message.parts) {
      if (part.type === 'text' || part.type === 'reasoning') text.push(part.text);
      else if (part.type === 'image') total += IMAGE_TOKENS;
      else if (part.type === 'tool-call') text.push(part.name, part.arguments);
      else
        for (const item of part.content) {
          if (item.type === 'text') text.push(item.text);
          else total += IMAGE_TOKENS;
        }
    }
  }
  for (const tool of request.tools)
    text.push(tool.name, tool.description ?? '', JSON.stringify(tool.parameters));
  return total + counter.countParts(text, request.model, true, scope).tokens;
}
