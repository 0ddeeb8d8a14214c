import type { MiddlewareHandler } from 'hono';
import { GatewayError } from '../../errors/gateway-error.js';
import { chatContext, type FrontDoorWire } from '../../http/chat-call.js';
import type { GatewayEnv } from '../../http/context.js';
import { readBodyText } from '../../http/read-body.js';
import { parseJsonObject } from '../../http/read-json.js';
import { assertModelName } from '../../http/validate-call.js';
import { decodeAnthropicCountRequest } from '../../providers/anthropic/count-request.js';
import { anthropicUsesLiveTools } from '../../providers/anthropic/live-tools.js';
import type { JsonObject } from '../../spec/json.js';
import { countInputTokens } from '../../usage/count-input-tokens.js';
import type { FrontDoor } from '../front-door.js';
import { reshapeErrors } from './reshape-errors.js';

/** Client headers a same-format upstream should still see (Claude Code sends betas). */
const FORWARDED_HEADERS = ['anthropic-beta', 'anthropic-version'];

/**
 * The Anthropic-compatible front door: `POST {base}/messages`, routed by the same router to any
 * channel, cached and metered like chat. Errors leave in the Anthropic shape, which the
 * Anthropic SDKs parse.
 */
export function anthropicMessagesFrontDoor(wire: FrontDoorWire): FrontDoor {
  return {
    name: 'anthropic messages',
    path: '/messages',
    method: 'POST',
    operation: 'chat',
    metered: true,
    errors: anthropicErrors(wire),
    async decode({ c, principal, denyAccountResources }) {
      const rawBody = await readBodyText(c);
      const json = parseJsonObject(rawBody);
      const model = checkBody(json);
      const forwardHeaders: Record<string, string> = {};
      for (const name of FORWARDED_HEADERS) {
        const value = c.req.header(name);
        if (value) forwardHeaders[name] = value;
      }
      // `routing.deny_account_resources`: the Files API beta lets a message read a file of the
      // upstream account by its id, whoever uploaded it; a bring-your-own-key key's is its own.
      const beta = forwardHeaders['anthropic-beta'];
      if (beta !== undefined && denyAccountResources && principal.byok === null) {
        const kept = withoutFilesApi(beta);
        if (kept === '') delete forwardHeaders['anthropic-beta'];
        else forwardHeaders['anthropic-beta'] = kept;
      }
      return {
        model,
        stream: json.stream === true,
        json,
        upstream: {
          method: 'POST',
          path: '/messages',
          search: '',
          json,
          rawBody,
          contentType: 'application/json',
        },
        cacheRoute: messagesCacheRoute(forwardHeaders),
        liveTools: anthropicUsesLiveTools,
        chat: chatContext(wire, json, principal.purpose, forwardHeaders),
      };
    },
  };
}

/** An `anthropic-beta` list without its `files-api-…` betas (any letter case). */
function withoutFilesApi(beta: string): string {
  return beta
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b !== '' && !b.toLowerCase().startsWith('files-api-'))
    .join(',');
}

/**
 * The cache route of a messages call: the forwarded headers change the answer (a beta turns a
 * feature on), so they are part of the key. Betas are a set: their order does not matter.
 */
function messagesCacheRoute(forwarded: Record<string, string>): string {
  const beta = forwarded['anthropic-beta'];
  const version = forwarded['anthropic-version'];
  const betas = beta
    ? beta
        .split(',')
        .map((b) => b.trim())
        .filter((b) => b !== '')
        .sort()
        .join(',')
    : '';
  if (!betas && !version) return '/messages';
  return `/messages?anthropic-beta=${betas}&anthropic-version=${version ?? ''}`;
}

/** `POST {base}/messages/count_tokens`: answered by the gateway's tokenizer, no upstream. */
export function anthropicCountTokensFrontDoor(wire: FrontDoorWire): FrontDoor {
  return {
    name: 'anthropic count_tokens',
    path: '/messages/count_tokens',
    method: 'POST',
    operation: 'chat',
    metered: false,
    errors: anthropicErrors(wire),
    async decode({ c, principal, tokenCounter }) {
      const json = parseJsonObject(await readBodyText(c));
      const model = checkBody(json);
      return {
        model,
        stream: false,
        json,
        upstream: {
          method: 'POST',
          path: '/messages/count_tokens',
          search: '',
          json,
          rawBody: null,
          contentType: null,
        },
        local: async () =>
          Response.json({
            input_tokens: await countInputTokens(
              decodeAnthropicCountRequest(json),
              tokenCounter,
              principal.userId,
            ),
          }),
      };
    },
  };
}

function checkBody(json: JsonObject): string {
  if (typeof json.model !== 'string' || json.model.trim() === '')
    throw new GatewayError('missing_model', 'model: field required', { param: 'model' });
  assertModelName(json.model);
  if (!Array.isArray(json.messages))
    throw new GatewayError('missing_messages', 'messages: field required', { param: 'messages' });
  // Nothing to answer: an upstream would refuse it in its own words, or a translated one do
  // something odd with it.
  if (json.messages.length === 0)
    throw new GatewayError('missing_messages', 'messages: at least one message is required', {
      param: 'messages',
    });
  if (json.stream !== undefined && typeof json.stream !== 'boolean')
    throw new GatewayError('invalid_request', 'stream: must be a boolean', { param: 'stream' });
  return json.model;
}

/** Errors in `{"type":"error","error":{type,message}}`, which the Anthropic SDKs parse. */
export function anthropicErrors(wire: {
  readonly client: Pick<FrontDoorWire['client'], 'errorBody'>;
}): MiddlewareHandler<GatewayEnv> {
  return reshapeErrors(wire, (body) => body.type === 'error');
}
