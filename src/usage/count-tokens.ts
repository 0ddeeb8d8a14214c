import type { ChatRequest } from '../spec/chat.js';

type Counter = (text: string) => number;
let counter: Promise<Counter> | null = null;

/** Loaded on first use: the encoding table is a few MB that most gateways never need. */
function loadCounter(): Promise<Counter> {
  counter ??= import('gpt-tokenizer/encoding/o200k_base').then((m) => m.countTokens as Counter);
  return counter;
}

/** Per-message and per-image overheads, in the spirit of OpenAI's chat token accounting. */
const MESSAGE_OVERHEAD = 4;
const IMAGE_TOKENS = 1_600;

/**
 * Input tokens for a request, counted with the o200k_base BPE (GPT-4o's tokenizer). Providers'
 * own tokenizers differ (Claude's counts run higher on code), so this is an estimate close enough
 * for context budgeting, not a billing figure.
 */
export async function countInputTokens(request: ChatRequest): Promise<number> {
  const count = await loadCounter();
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
  return total + count(text.join('\n'));
}
