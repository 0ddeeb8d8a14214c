import { GatewayError } from '../../errors/gateway-error.js';
import { chatContext } from '../../http/chat-call.js';
import { readBodyText } from '../../http/read-body.js';
import { parseJsonObject } from '../../http/read-json.js';
import { assertModelName } from '../../http/validate-call.js';
import { rewritesAnswer } from '../../pipelines/pipeline.js';
import {
  continuedItems,
  forNativeRelay,
  inputItems,
  upstreamItems,
} from '../../providers/openai-responses/conversation.js';
import { checkResponsesBody } from '../../providers/openai-responses/responses-check.js';
import { responsesId } from '../../providers/openai-responses/responses-response.js';
import { responsesWire } from '../../providers/openai-responses/wire.js';
import type { JsonObject } from '../../spec/json.js';
import type { FrontDoor } from '../front-door.js';
import { openAiClientHeaders } from './openai-client-headers.js';
import {
  type PendingKeep,
  type ResponsesKeeping,
  responseOwner,
  responsesKeeper,
} from './responses-keeper.js';

/**
 * OpenAI's Responses API: `POST {base}/responses`, served by every channel. Providers that speak
 * it natively get the client's bytes (`nativeWires`); the others get it translated to their own
 * format and the answer translated back. `previous_response_id` continues a stored conversation
 * on any upstream: the stored items are sent in its place.
 */
export function responsesFrontDoor(keeping: ResponsesKeeping): FrontDoor {
  const pendingOf = new WeakMap<Request, PendingKeep>();
  return {
    name: 'responses',
    path: '/responses',
    method: 'POST',
    operation: 'chat',
    metered: true,
    errors: responsesKeeper(keeping, pendingOf),
    async decode({ c, principal }) {
      let rawBody = await readBodyText(c);
      const json = parseJsonObject(rawBody);
      const model = checkResponsesBody(json);
      assertModelName(model);
      const owner = responseOwner(principal);
      const previousId = typeof json.previous_response_id === 'string' ? json.previous_response_id : null;
      let prior: JsonObject[] = [];
      if (previousId !== null) {
        const stored = await keeping.store.get(owner, previousId, keeping.now());
        if (!stored)
          throw new GatewayError(
            'resource_not_found',
            `previous_response_id: no stored response "${previousId}" (unknown, expired or deleted)`,
            { param: 'previous_response_id' },
          );
        prior = continuedItems(stored);
      }
      const own = inputItems(json.input);
      let upstreamJson = json;
      if (previousId !== null) {
        // The upstream gets the whole conversation instead of an id only this gateway knows.
        const { previous_response_id: _previous, ...rest } = json;
        upstreamJson = { ...rest, input: upstreamItems([...prior, ...own]) };
        rawBody = JSON.stringify(upstreamJson);
      }
      // Relayed natively to OpenAI, the body leaves out other providers' reasoning.
      const nativeJson = forNativeRelay(upstreamJson);
      if (nativeJson !== upstreamJson) rawBody = JSON.stringify(nativeJson);
      if (json.store !== false) pendingOf.set(c.req.raw, { owner, conversation: [...prior, ...own] });
      const wire = responsesWire({
        id: responsesId('resp'),
        createdAt: Math.floor(keeping.now() / 1000),
        body: json,
      });
      const chat = chatContext(wire, upstreamJson, principal.purpose);
      return {
        model,
        stream: json.stream === true,
        json: upstreamJson,
        upstream: {
          method: 'POST',
          path: '/responses',
          search: '',
          json: nativeJson,
          rawBody,
          contentType: 'application/json',
          clientHeaders: openAiClientHeaders(c),
        },
        // A key's pipeline that rewrites answers needs them decoded: never relay those natively.
        chat: rewritesAnswer(chat.pipeline)
          ? { ...chat, translation: { ...chat.translation, rewritesRequest: true } }
          : chat,
      };
    },
  };
}
