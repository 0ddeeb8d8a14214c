import type { ChatRequest } from '../../spec/chat.js';
import type { JsonObject, JsonValue } from '../../spec/json.js';
import { objects } from '../shared/json-read.js';
import { assistantBlockToPart } from './assistant-blocks.js';
import { decodeAnthropicRequest } from './messages-request.js';

/**
 * A body decoded only to count its tokens (`/messages/count_tokens`), whatever channel serves the
 * model: what a native Anthropic model accepts but other upstreams cannot take is counted, not
 * refused. Documents (PDFs) weigh what an image does (an estimate: their bytes are not text), other
 * unknown blocks (server tool calls and results, search results…) their JSON text; server tools
 * and generation settings count nothing.
 */
export function decodeAnthropicCountRequest(body: JsonObject): ChatRequest {
  const messages = objects(body.messages).map((message) => ({
    ...message,
    content:
      typeof message.content === 'string'
        ? message.content
        : objects(message.content).map((block) => countableBlock(block, message.role)),
  }));
  return decodeAnthropicRequest({
    model: body.model ?? '',
    messages,
    ...(body.system !== undefined ? { system: body.system } : {}),
    ...(body.tools !== undefined ? { tools: body.tools } : {}),
  });
}

/** Any image stands for a document: only the block's kind is weighed. */
const COUNTED_AS_IMAGE: JsonObject = {
  type: 'image',
  source: { type: 'base64', media_type: 'image/png', data: '' },
};

function countableBlock(block: JsonObject, role: JsonValue | undefined): JsonObject {
  if (role === 'assistant') return assistantBlockToPart(block) ? block : asText(block);
  if (role === 'system') return block.type === 'text' ? block : asText(block);
  if (block.type === 'tool_result' && Array.isArray(block.content))
    return { ...block, content: objects(block.content).map(countableUserBlock) };
  if (block.type === 'tool_result') return block;
  return countableUserBlock(block);
}

function countableUserBlock(block: JsonObject): JsonObject {
  if (block.type === 'text' || block.type === 'image') return block;
  if (block.type === 'document') return COUNTED_AS_IMAGE;
  return asText(block);
}

function asText(block: JsonObject): JsonObject {
  return { type: 'text', text: JSON.stringify(block) };
}
