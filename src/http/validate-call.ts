import { GatewayError } from '../errors/gateway-error.js';
import type { JsonObject } from '../spec/json.js';
import { MODEL_NAME_MAX } from '../spec/model-name.js';
import type { Operation } from '../spec/provider.js';

/** A lone UTF-16 surrogate: no URL, header or upstream can carry it (encodeURIComponent throws). */
const LONE_SURROGATE = /\p{Cs}/u;
/** C0 and C1 control characters and DEL: no model has them, and Postgres text cannot hold a NUL. */
const CONTROL = /\p{Cc}/u;

/**
 * A model name is routed, logged, recorded in usage and may become part of an upstream URL: it
 * must be real text of a sane length.
 */
export function assertModelName(model: string): void {
  if (LONE_SURROGATE.test(model)) {
    throw new GatewayError('invalid_request', 'model: not a well-formed Unicode string', { param: 'model' });
  }
  if (CONTROL.test(model)) {
    throw new GatewayError('invalid_request', 'model: must not contain control characters', {
      param: 'model',
    });
  }
  if (longerThan(model, MODEL_NAME_MAX)) {
    throw new GatewayError('invalid_request', `model: longer than ${MODEL_NAME_MAX} characters`, {
      param: 'model',
    });
  }
}

/** Whether `text` has more than `max` characters (code points: an emoji is one, not two). */
function longerThan(text: string, max: number): boolean {
  if (text.length <= max) return false;
  // Each code point is one or two UTF-16 units.
  if (text.length > 2 * max) return true;
  let count = 0;
  for (const _ of text) if (++count > max) return true;
  return false;
}

/** The minimum each JSON operation needs before it is worth routing. */
export function validateCall(operation: Operation, body: JsonObject): { model: string; stream: boolean } {
  const { model } = body;
  if (typeof model !== 'string' || model.trim() === '') {
    throw new GatewayError('missing_model', 'you must provide a model parameter', { param: 'model' });
  }
  assertModelName(model);
  if (operation === 'chat' && (!Array.isArray(body.messages) || body.messages.length === 0)) {
    throw new GatewayError('missing_messages', 'you must provide a non-empty messages array', {
      param: 'messages',
    });
  }
  if (operation === 'embeddings' && body.input === undefined) {
    throw new GatewayError('invalid_request', 'you must provide an input parameter', { param: 'input' });
  }
  if (body.stream !== undefined && typeof body.stream !== 'boolean') {
    throw new GatewayError('invalid_request', 'stream must be a boolean', { param: 'stream' });
  }
  return { model, stream: operation !== 'embeddings' && body.stream === true };
}
