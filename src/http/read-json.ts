import { GatewayError } from '../errors/gateway-error.js';
import { isJsonObject, type JsonObject } from '../spec/json.js';

/**
 * Deeper than any real request; shallow enough that every later walk over the body (stringify
 * for the upstream, cache keys, token estimates) stays far from the call-stack limit.
 */
export const MAX_JSON_DEPTH = 128;

/** Parses a request body that must be a JSON object. */
export function parseJsonObject(text: string): JsonObject {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new GatewayError('invalid_json', `request body is not valid JSON: ${(err as Error).message}`);
  }
  if (!isJsonObject(parsed)) throw new GatewayError('invalid_json', 'request body must be a JSON object');
  if (!fewOpeners(text, MAX_JSON_DEPTH) && depthExceeds(parsed, MAX_JSON_DEPTH)) {
    throw new GatewayError('invalid_json', `request body is nested more than ${MAX_JSON_DEPTH} levels deep`);
  }
  return parsed;
}

/**
 * True when the text holds at most `limit` opening brackets: its nesting cannot be deeper, and
 * the walk below (a tuple per object or array, and their values listed) is not needed. Most
 * request bodies hold a few dozen; native `indexOf` counts them in well under a microsecond.
 */
function fewOpeners(text: string, limit: number): boolean {
  let count = 0;
  for (const opener of OPENERS) {
    for (let at = text.indexOf(opener); at !== -1; at = text.indexOf(opener, at + 1)) {
      if (++count > limit) return false;
    }
  }
  return true;
}

const OPENERS = ['{', '['] as const;

/** Iterative, so that measuring a hostile body cannot itself overflow the stack. */
function depthExceeds(root: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[root, 1]];
  for (let item = stack.pop(); item; item = stack.pop()) {
    const [value, depth] = item;
    if (depth > limit) return true;
    if (typeof value !== 'object' || value === null) continue;
    for (const child of Array.isArray(value) ? value : Object.values(value)) {
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
    }
  }
  return false;
}
