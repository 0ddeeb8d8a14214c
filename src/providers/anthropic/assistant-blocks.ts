import type { AssistantPart } from '../../spec/chat.js';
import type { JsonObject } from '../../spec/json.js';
import { str } from '../shared/json-read.js';
import { signatureFrom } from '../shared/reasoning-signature.js';
import { fromAnthropicToolId } from './tool-ids.js';

/**
 * One Anthropic assistant content block (text, thinking, redacted thinking, tool use) as a
 * canonical part, or null for a block type this gateway does not know. Shared by the request
 * decoder (assistant turns in the history) and the response decoder.
 */
export function assistantBlockToPart(block: JsonObject): AssistantPart | null {
  switch (block.type) {
    case 'text':
      return { type: 'text', text: str(block.text) ?? '' };
    case 'thinking': {
      const given = str(block.signature);
      const signature = given ? signatureFrom('anthropic', given) : undefined;
      return { type: 'reasoning', text: str(block.thinking) ?? '', ...(signature ? { signature } : {}) };
    }
    case 'redacted_thinking':
      return { type: 'reasoning', text: '', redactedData: str(block.data) ?? '' };
    case 'tool_use':
      return {
        type: 'tool-call',
        id: fromAnthropicToolId(str(block.id) ?? ''),
        name: str(block.name) ?? '',
        arguments: JSON.stringify(block.input ?? {}),
      };
    default:
      return null;
  }
}
