import { type ChatContext, chatContext, isFrontDoorWire } from '../../http/chat-call.js';
import { readBodyText } from '../../http/read-body.js';
import { parseJsonObject } from '../../http/read-json.js';
import { validateCall } from '../../http/validate-call.js';
import { openAiUsesLiveTools } from '../../providers/openai-compatible/live-tools.js';
import type { WireRegistry } from '../../providers/registry.js';
import type { Operation } from '../../spec/provider.js';
import type { FrontDoor } from '../front-door.js';
import { withStreamUsage } from './openai-stream-usage.js';

/**
 * The OpenAI API's JSON operations: chat completions, completions and embeddings. Chat calls may
 * reach upstreams of any wire format (decoded with the OpenAI wire); the others are same-format.
 */
export function openAiFrontDoor(
  operation: Operation,
  path: string,
  wires: WireRegistry | undefined,
): FrontDoor {
  const openAi = wires?.get('openai');
  const chatWire = operation === 'chat' && isFrontDoorWire(openAi) ? openAi : null;
  return {
    name: `openai ${path}`,
    path,
    method: 'POST',
    operation,
    metered: true,
    async decode({ c, principal, requestStreamUsage }) {
      const rawBody = await readBodyText(c);
      const json = parseJsonObject(rawBody);
      const { model, stream } = validateCall(operation, json);
      // Stream usage is asked of the upstream even when the client did not (and the extra event
      // is dropped on the way back), so streamed requests are counted, not estimated.
      const sent =
        requestStreamUsage && stream && operation !== 'embeddings' ? withStreamUsage(json, rawBody) : null;
      const chat: ChatContext | null = chatWire ? chatContext(chatWire, json, principal.purpose) : null;
      return {
        model,
        stream,
        json,
        upstream: {
          method: 'POST',
          path,
          search: '',
          json: sent?.json ?? json,
          rawBody: sent?.rawBody ?? rawBody,
          contentType: 'application/json',
        },
        cacheRoute: path,
        liveTools: openAiUsesLiveTools,
        stripStreamUsage: sent !== null,
        ...(chat ? { chat } : {}),
      };
    },
  };
}
