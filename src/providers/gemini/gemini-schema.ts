import { isJsonObject, type JsonObject, type JsonValue } from '../../spec/json.js';

/** Gemini-only schema keys with no JSON Schema meaning. */
const DROPPED = new Set(['propertyOrdering', 'nullable']);

/**
 * A Gemini `Schema` (OpenAPI subset: `type: "OBJECT"`, `nullable`) → JSON Schema, which the
 * other upstreams take: types in lower case, `nullable` as a `null` type alternative.
 */
export function geminiSchemaToJsonSchema(schema: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(schema)) {
    if (DROPPED.has(key)) continue;
    if (key === 'type' && typeof value === 'string') out.type = value.toLowerCase();
    else if (key === 'properties' && isJsonObject(value)) out.properties = mapValues(value);
    else if (key === 'items' && isJsonObject(value)) out.items = geminiSchemaToJsonSchema(value);
    else if ((key === 'anyOf' || key === 'oneOf' || key === 'allOf') && Array.isArray(value))
      out[key] = value.map(convertValue);
    else out[key] = value;
  }
  if (schema.nullable === true && typeof out.type === 'string') out.type = [out.type, 'null'];
  return out;
}

function mapValues(properties: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [name, value] of Object.entries(properties)) out[name] = convertValue(value);
  return out;
}

function convertValue(value: JsonValue): JsonValue {
  return isJsonObject(value) ? geminiSchemaToJsonSchema(value) : value;
}
