import { GatewayError } from '../errors/gateway-error.js';
import { isJsonObject, type JsonObject } from '../spec/json.js';

/** Parses a request body that must be a JSON object. */
export function parseJsonObject(text: string): JsonObject {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new GatewayError('invalid_json', `request body is not valid JSON: ${(err as Error).message}`);
  }
  if (!isJsonObject(parsed)) throw new GatewayError('invalid_json', 'request body must be a JSON object');
  return parsed;
}
