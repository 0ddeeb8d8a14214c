import type { Hono } from 'hono';
import { isFrontDoorWire } from '../../http/chat-call.js';
import type { GatewayEnv } from '../../http/context.js';
import { mountGeminiModelRoutes } from '../../http/gemini-model-routes.js';
import type { ModelRouteDeps } from '../../http/model-routes.js';
import type { WireRegistry } from '../../providers/registry.js';
import type { FrontDoor } from '../front-door.js';
import { anthropicCountTokensFrontDoor, anthropicMessagesFrontDoor } from './anthropic-messages.js';
import { geminiErrors, geminiFrontDoors } from './gemini.js';
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
): {
  specific: FrontDoor[];
  catchAll: FrontDoor;
  /** Model listings in a protocol's own shape, under its own mount points. */
  listings: ModelListing[];
} {
  const anthropic = wires?.get('anthropic');
  const specific: FrontDoor[] = [];
  const listings: ModelListing[] = [];
  if (isFrontDoorWire(anthropic)) {
    // count_tokens before /messages is not needed (exact paths), but reads better next to it.
    specific.push(anthropicCountTokensFrontDoor(anthropic), anthropicMessagesFrontDoor(anthropic));
  }
  const gemini = wires?.get('gemini');
  if (isFrontDoorWire(gemini)) {
    specific.push(...geminiFrontDoors(gemini));
    const errors = geminiErrors(gemini);
    listings.push({
      bases: ['/v1beta'],
      mount: (app, base, deps) => mountGeminiModelRoutes(app, base, { ...deps, errors }),
    });
  }
  specific.push(
    openAiFrontDoor('chat', '/chat/completions', wires),
    openAiFrontDoor('completions', '/completions', wires),
    openAiFrontDoor('embeddings', '/embeddings', wires),
  );
  if (wires && responses) specific.push(responsesFrontDoor(responses));
  return { specific, catchAll: passthroughFrontDoor, listings };
}

export interface ModelListing {
  readonly bases: readonly string[];
  mount(app: Hono<GatewayEnv>, base: string, deps: ModelRouteDeps): void;
}
