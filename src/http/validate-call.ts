import { GatewayError } from '../errors/gateway-error.js';
import type { JsonObject } from '../spec/json.js';
import type { Operation } from '../spec/provider.js';

/** The minimum each JSON operation needs before it is worth routing. */
export function validateCall(operation: Operation, body: JsonObject): { model: string; stream: boolean } {
  const { model } = body;
  if (typeof model !== 'string' || model.trim() === '') {
    throw new GatewayError('missing_model', 'you must provide a model parameter', { param: 'model' });
  }
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
