import type { MiddlewareHandler } from 'hono';
import { tryDecodeURIComponent } from 'hono/utils/url';
import { googleApiKey } from '../../auth/extract-key.js';
import { GatewayError } from '../../errors/gateway-error.js';
import { chatContext, type FrontDoorWire } from '../../http/chat-call.js';
import type { GatewayEnv } from '../../http/context.js';
import { readBodyText } from '../../http/read-body.js';
import { parseJsonObject } from '../../http/read-json.js';
import { assertModelName } from '../../http/validate-call.js';
import { decodeGeminiCountRequest } from '../../providers/gemini/client-request.js';
import { geminiUsesLiveTools } from '../../providers/gemini/live-tools.js';
import { GEMINI_JSON_ARRAY_WIRE } from '../../providers/gemini/wire-name.js';
import { isJsonObject, type JsonObject, type JsonValue } from '../../spec/json.js';
import { sseBytesToJsonArray, sseToJsonArray } from '../../streaming/json-array-stream.js';
import { sseDecoder } from '../../streaming/sse.js';
import { sseErrorEvent } from '../../streaming/sse-error-event.js';
import { countInputTokens } from '../../usage/count-input-tokens.js';
import type { FrontDoor } from '../front-door.js';
import { reshapeErrors } from './reshape-errors.js';

/** One route for every method (src/pipeline/mount-front-doors.ts): `{model}:{method}` follows. */
const MODELS = '/models/*';

/** Gemini's API version paths (`/v1beta` is the SDKs' default), and the gateway's own two. */
export const GEMINI_BASES = ['/v1beta', '/v1', '/api/v1'] as const;

/** What a stream without `alt=sse` is sent as. */
const JSON_ARRAY_CONTENT_TYPE = 'application/json; charset=utf-8';

/**
 * The Gemini API front door (`@google/genai`, Gemini CLI): `POST {base}/models/{model}:generateContent`
 * and `:streamGenerateContent` (SSE with `alt=sse`, otherwise one streamed JSON array), routed to
 * any channel and metered like chat; `:countTokens` answered by the gateway's tokenizer.
 * The model is in the path, so the call description's body carries it as `model` (with
 * `stream`): the cache key and the codec see it, while a Gemini channel gets the client's bytes.
 */
export function geminiFrontDoors(wire: FrontDoorWire): FrontDoor[] {
  const arrayWire = jsonArrayWire(wire);
  const errors = geminiErrors(wire);
  const generate = (method: 'generateContent' | 'streamGenerateContent'): FrontDoor => ({
    name: `gemini ${method}`,
    path: MODELS,
    customMethod: method,
    label: `/models/{model}:${method}`,
    bases: GEMINI_BASES,
    keySource: googleApiKey,
    method: 'POST',
    operation: 'chat',
    metered: true,
    errors,
    async decode({ c, base, principal }) {
      const rawBody = await readBodyText(c);
      const stream = method === 'streamGenerateContent';
      const sse = stream && c.req.query('alt') === 'sse';
      const json = describe(c.req.path, base, parseJsonObject(rawBody), stream);
      const chosen = stream && !sse ? arrayWire : wire;
      return {
        model: json.model as string,
        stream,
        json,
        upstream: {
          method: 'POST',
          path: `/models:${method}`,
          search: '',
          json,
          rawBody,
          contentType: 'application/json',
        },
        cacheRoute: `/models:${method}${stream ? (sse ? '?alt=sse' : '?alt=json') : ''}`,
        temperature: generationConfig(json)?.temperature,
        liveTools: geminiUsesLiveTools,
        chat: chatContext(chosen, json, principal.purpose),
      };
    },
  });
  const countTokens: FrontDoor = {
    name: 'gemini countTokens',
    path: MODELS,
    customMethod: 'countTokens',
    label: '/models/{model}:countTokens',
    bases: GEMINI_BASES,
    keySource: googleApiKey,
    method: 'POST',
    operation: 'chat',
    metered: false,
    errors,
    async decode({ c, base, principal, tokenCounter }) {
      const outer = parseJsonObject(await readBodyText(c));
      // Either the contents themselves or a whole `generateContentRequest`.
      const inner = isJsonObject(outer.generateContentRequest) ? outer.generateContentRequest : outer;
      const json = describe(c.req.path, base, inner, false);
      return {
        model: json.model as string,
        stream: false,
        json,
        upstream: {
          method: 'POST',
          path: '/models:countTokens',
          search: '',
          json,
          rawBody: null,
          contentType: null,
        },
        local: async () =>
          Response.json({
            totalTokens: await countInputTokens(
              decodeGeminiCountRequest(json),
              tokenCounter,
              principal.userId,
            ),
          }),
      };
    },
  };
  return [countTokens, generate('generateContent'), generate('streamGenerateContent')];
}

/** The model from the path, checked; the body's shape checked; both joined for the pipeline. */
function describe(path: string, base: string, body: JsonObject, stream: boolean): JsonObject {
  // `{model}:{method}`, percent-decoded as a router parameter would be.
  const target = tryDecodeURIComponent(path.slice(base.length + MODELS.length - 1));
  const model = target.slice(0, target.lastIndexOf(':')).replace(/^models\//, '');
  if (model.trim() === '')
    throw new GatewayError('missing_model', 'model: missing from the path', { param: 'model' });
  assertModelName(model);
  checkBody(body);
  return { ...body, model, stream };
}

/** `generationConfig`, or the same by its proto name (Gemini's REST API takes either). */
function generationConfig(body: JsonObject): JsonObject | undefined {
  const config = body.generationConfig ?? body.generation_config;
  return isJsonObject(config) ? config : undefined;
}

function checkBody(body: JsonObject): void {
  const { contents } = body;
  if (!Array.isArray(contents) || contents.length === 0)
    throw new GatewayError('missing_messages', 'contents: field required (a non-empty array)', {
      param: 'contents',
    });
  for (const [i, content] of contents.entries()) {
    if (!isJsonObject(content) || !Array.isArray(content.parts))
      throw invalid(`contents[${i}].parts`, 'must be an array of parts');
    if (
      !unset(content.role) &&
      content.role !== 'user' &&
      content.role !== 'model' &&
      content.role !== 'function'
    )
      throw invalid(`contents[${i}].role`, 'must be "user" or "model"');
  }
  for (const field of ['generationConfig', 'toolConfig', 'systemInstruction'] as const) {
    const value = body[field];
    if (
      !unset(value) &&
      !isJsonObject(value) &&
      !(field === 'systemInstruction' && typeof value === 'string')
    )
      throw invalid(field, 'must be an object');
  }
  if (!unset(body.tools) && !Array.isArray(body.tools)) throw invalid('tools', 'must be an array');
}

/** Absent, or null: in proto JSON, as Gemini reads its bodies, null is a field left unset. */
function unset(value: JsonValue | undefined): boolean {
  return value === undefined || value === null;
}

function invalid(param: string, problem: string): GatewayError {
  return new GatewayError('invalid_request', `${param}: ${problem}`, { param });
}

/**
 * The same codec, its stream framed as one JSON array (no `alt=sse`). A Gemini channel takes it
 * natively (its provider's `nativeWires`): the body goes as sent and the SSE answer is relayed
 * re-framed, chunks untouched. Other channels' answers are translated, then framed.
 */
function jsonArrayWire(wire: FrontDoorWire): FrontDoorWire {
  const passthrough = wire.passthrough ?? { errorEvent: sseErrorEvent };
  return {
    ...wire,
    name: GEMINI_JSON_ARRAY_WIRE,
    passthrough: {
      ...passthrough,
      reframe: { contentType: JSON_ARRAY_CONTENT_TYPE, create: sseBytesToJsonArray },
    },
    client: {
      ...wire.client,
      streamContentType: JSON_ARRAY_CONTENT_TYPE,
      encodeStream(request, requestId) {
        const sse = wire.client.encodeStream(request, requestId);
        return {
          writable: sse.writable,
          readable: sse.readable.pipeThrough(sseDecoder()).pipeThrough(sseToJsonArray()),
        };
      },
    },
  };
}

/**
 * Errors in `{"error":{"code","message","status"}}`; a Gemini upstream's own error (numeric
 * `code`, string `status`) is left as it came.
 */
export function geminiErrors(wire: FrontDoorWire): MiddlewareHandler<GatewayEnv> {
  return reshapeErrors(wire, (body) => {
    const error = isJsonObject(body.error) ? body.error : null;
    return error !== null && typeof error.code === 'number' && typeof error.status === 'string';
  });
}
