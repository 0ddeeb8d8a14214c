import type { Context, Hono, MiddlewareHandler } from 'hono';
import { GatewayError } from '../errors/gateway-error.js';
import type { WireRegistry } from '../providers/registry.js';
import type { ClientCall } from '../router/forward.js';
import { isJsonObject, type JsonObject } from '../spec/json.js';
import { countInputTokens } from '../usage/count-input-tokens.js';
import { createHeuristicTokenCounter } from '../usage/token-counter.js';
import { answerChat, chatContext, type FrontDoorWire } from './chat-call.js';
import {
  assertModelAllowed,
  type ClientRouteDeps,
  clientSecrets,
  routeClientCall,
  usageTracking,
} from './client-routes.js';
import type { GatewayEnv } from './context.js';
import { readBodyText } from './read-body.js';
import { parseJsonObject } from './read-json.js';
import { admitRequest } from './request-accounting.js';
import { assertModelName } from './validate-call.js';

/** Without accounting there is no runtime counter to ask. */
const HEURISTIC = createHeuristicTokenCounter();

/** Client headers a same-format upstream should still see (Claude Code sends betas). */
const FORWARDED_HEADERS = ['anthropic-beta', 'anthropic-version'];

/**
 * The Anthropic-compatible front door: `POST {base}/messages` and `/messages/count_tokens`,
 * authenticated like every route, routed by the same router to any channel. Errors leave in the
 * Anthropic shape, which the Anthropic SDKs parse.
 */
export function mountMessagesRoutes(
  app: Hono<GatewayEnv>,
  base: string,
  deps: ClientRouteDeps & { readonly wires: WireRegistry },
  wire: FrontDoorWire,
): void {
  const errors = errorShape(wire);
  app.post(`${base}/messages/count_tokens`, errors, deps.bodyLimit, deps.authenticate, async (c) => {
    const json = parseJsonObject(await readBodyText(c));
    const model = checkBody(json);
    assertModelAllowed(c, model, deps.resolveModel?.(model) ?? model);
    const counter = deps.accounting?.estimator ?? HEURISTIC;
    return c.json({ input_tokens: await countInputTokens(wire.client.decodeRequest(json), counter) });
  });
  app.post(
    `${base}/messages`,
    errors,
    usageTracking(deps)('chat'),
    deps.bodyLimit,
    deps.authenticate,
    async (c) => {
      const rawBody = await readBodyText(c);
      const json = parseJsonObject(rawBody);
      const model = checkBody(json);
      const stream = json.stream === true;
      const usage = c.get('usage');
      usage.record.modelAsked = model;
      usage.record.stream = stream;
      const routedModel = deps.resolveModel?.(model) ?? model;
      assertModelAllowed(c, model, routedModel);
      // Limits and estimates as on the OpenAI routes (docs/usage-and-limits.md).
      usage.requestJson = json;
      if (deps.accounting) await admitRequest(c, deps.accounting, json, routedModel);
      const forwardHeaders: Record<string, string> = {};
      for (const name of FORWARDED_HEADERS) {
        const value = c.req.header(name);
        if (value) forwardHeaders[name] = value;
      }
      const principal = c.get('principal');
      const chat = chatContext(wire, json, principal.purpose, forwardHeaders);
      const call: ClientCall = {
        requestId: c.get('requestId'),
        operation: 'chat',
        method: 'POST',
        path: '/messages',
        search: '',
        json,
        rawBody,
        contentType: 'application/json',
        model: routedModel,
        stream,
        signal: c.req.raw.signal,
        clientKeyId: principal.keyId,
        secrets: clientSecrets(c),
        chat: chat.translation,
      };
      const routed = await routeClientCall(c, deps, call);
      if (routed instanceof Response) return routed;
      return answerChat(call, routed, usage, chat, { providers: deps.router.providers, wires: deps.wires });
    },
  );
}

function checkBody(json: JsonObject): string {
  if (typeof json.model !== 'string' || json.model.trim() === '')
    throw new GatewayError('missing_model', 'model: field required', { param: 'model' });
  assertModelName(json.model);
  if (!Array.isArray(json.messages))
    throw new GatewayError('missing_messages', 'messages: field required', { param: 'messages' });
  if (json.stream !== undefined && typeof json.stream !== 'boolean')
    throw new GatewayError('invalid_request', 'stream: must be a boolean', { param: 'stream' });
  return json.model;
}

/**
 * Re-shapes any error answer on these routes — the gateway's own (thrown, in the OpenAI
 * envelope) or an upstream's relayed one — into `{"type":"error","error":{type,message}}`.
 */
function errorShape(wire: FrontDoorWire): MiddlewareHandler<GatewayEnv> {
  return async (c: Context<GatewayEnv>, next) => {
    await next();
    if (c.res.status < 400 || !c.res.headers.get('content-type')?.includes('json')) return;
    let body: unknown;
    try {
      body = await c.res.clone().json();
    } catch {
      return;
    }
    if (!isJsonObject(body) || body.type === 'error') return;
    const error = isJsonObject(body.error) ? body.error : null;
    const message =
      (error && typeof error.message === 'string' && error.message) ||
      (typeof body.message === 'string' && body.message) ||
      `upstream answered HTTP ${c.res.status}`;
    const headers = new Headers(c.res.headers);
    headers.delete('content-length');
    c.res = new Response(
      JSON.stringify(
        wire.client.errorBody({ status: c.res.status, code: '', message, requestId: c.get('requestId') }),
      ),
      { status: c.res.status, headers },
    );
  };
}
