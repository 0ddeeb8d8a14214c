import { isJsonObject, type JsonObject, type JsonValue } from '../../spec/json.js';

/**
 * Fields whose value is the client's own data, not Gemini's: function call arguments, function
 * results, JSON Schemas and a Schema's example values keep their keys as written.
 */
const OPAQUE = new Set([
  'args',
  'response',
  'parametersJsonSchema',
  'responseJsonSchema',
  'default',
  'example',
]);

/** A Schema's `properties`: its keys are the client's property names, its values Schemas. */
const PROPERTY_MAP = 'properties';

/**
 * Gemini's REST API takes every field by its JSON name (`systemInstruction`, `inlineData`) or by
 * its proto name (`system_instruction`, `inline_data`), and Google's curl examples write the
 * latter. The decoders read JSON names, so proto names are renamed first (a field given both ways
 * keeps its JSON name's value).
 */
export function withJsonNames(body: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(body)) {
    // Assigned, it would become the result's prototype (no Gemini field has that name).
    if (key === '__proto__') continue;
    const name = jsonName(key);
    if (name !== key && Object.hasOwn(body, name)) continue;
    if (OPAQUE.has(name)) out[name] = value;
    else if (name === PROPERTY_MAP && isJsonObject(value)) out[name] = renameValues(value);
    else out[name] = renamed(value);
  }
  return out;
}

function jsonName(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());
}

function renamed(value: JsonValue): JsonValue {
  if (Array.isArray(value)) return value.map(renamed);
  return isJsonObject(value) ? withJsonNames(value) : value;
}

function renameValues(map: JsonObject): JsonObject {
  return Object.fromEntries(Object.entries(map).map(([key, value]) => [key, renamed(value)]));
}
