import type { JsonObject } from '../../spec/json.js';
import { num, obj, objects, str } from '../shared/json-read.js';

/**
 * Whether a whole Messages answer is worth keeping in the response cache: a content block holds
 * something (any text however short, a tool call alone too). A message with none, or only empty
 * text and thinking blocks, whatever its stop reason, is valid JSON that a retry would usually
 * fix; empty text is nothing as it is when the answer is translated (translate-response.ts).
 */
export function anthropicAnswerKeepable(body: JsonObject): boolean {
  return objects(body.content).some(blockHoldsSomething);
}

function blockHoldsSomething(block: JsonObject): boolean {
  switch (block.type) {
    case 'text':
      return nonEmpty(block.text);
    case 'thinking':
      return nonEmpty(block.thinking) || nonEmpty(block.signature);
    case 'redacted_thinking':
      return nonEmpty(block.data);
    default:
      // A tool call, a server tool's use or result, a block type newer than this code.
      return true;
  }
}

const nonEmpty = (value: unknown) => typeof value === 'string' && value !== '';

/**
 * The whole message a Messages stream makes: `message_start`'s message, with the content blocks
 * as they started (their text, thinking and signature deltas applied, tool input left as started) and the
 * stop reason of `message_delta`. Enough for `anthropicAnswerKeepable` to judge a stream as it
 * judges a whole answer.
 */
export function anthropicStreamAnswer(events: readonly JsonObject[]): JsonObject {
  let message: JsonObject = {};
  const blocks = new Map<number, JsonObject>();
  for (const event of events) {
    if (event.type === 'message_start') message = { ...obj(event.message) };
    else if (event.type === 'content_block_start') {
      blocks.set(num(event.index) ?? blocks.size, { ...obj(event.content_block) });
    } else if (event.type === 'content_block_delta') {
      const block = blocks.get(num(event.index) ?? -1);
      const delta = obj(event.delta);
      if (block && delta) appendDelta(block, delta);
    } else if (event.type === 'message_delta') {
      const reason = str(obj(event.delta)?.stop_reason);
      if (reason !== undefined) message.stop_reason = reason;
    }
  }
  return { ...message, content: [...blocks.values()] };
}

function appendDelta(block: JsonObject, delta: JsonObject): void {
  for (const field of ['text', 'thinking', 'signature'] as const) {
    const more = str(delta[field]);
    if (more !== undefined) block[field] = (str(block[field]) ?? '') + more;
  }
}
