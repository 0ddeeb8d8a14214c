import { isFrontDoorWire } from '../../http/chat-call.js';
import type { WireRegistry } from '../../providers/registry.js';
import type { FrontDoor } from '../front-door.js';
import { anthropicCountTokensFrontDoor, anthropicMessagesFrontDoor } from './anthropic-messages.js';
import { openAiFrontDoor } from './openai.js';
import { responsesFrontDoor } from './openai-responses.js';
import { passthroughFrontDoor } from './passthrough.js';
import type { ResponsesKeeping } from './responses-keeper.js';

/**
 * Every client protocol the gateway speaks, in mounting order: specific paths first, the
 * pass-through catch-all last. (`GET /models` is a listing, not a request path: model-routes.ts.)
 */
export function frontDoors(
  wires: WireRegistry | undefined,
  /** Stored responses; the Responses API door (which translates, so needs wires) needs them. */
  responses?: ResponsesKeeping,
): { specific: FrontDoor[]; catchAll: FrontDoor } {
  const anthropic = wires?.get('anthropic');
  const specific: FrontDoor[] = [];
  if (isFrontDoorWire(anthropic)) {
    // count_tokens before /messages is not needed (exact paths), but reads better next to it.
    specific.push(anthropicCountTokensFrontDoor(anthropic), anthropicMessagesFrontDoor(anthropic));
  }
  specific.push(
    openAiFrontDoor('chat', '/chat/completions', wires),
    openAiFrontDoor('completions', '/completions', wires),
    openAiFrontDoor('embeddings', '/embeddings', wires),
  );
  if (wires && responses) specific.push(responsesFrontDoor(responses));
  return { specific, catchAll: passthroughFrontDoor };
}
