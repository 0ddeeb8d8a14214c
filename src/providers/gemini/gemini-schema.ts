import { isJsonObject, type JsonObject, type JsonValue } from '../../spec/json.js';

/** Gemini-only schema keys with no JSON Schema meaning. */
const DROPPED = new Set(['propertyOrdering', 'nullable']);

/**
 * Limits Gemini's `Schema` types as int64, which proto JSON (and so `@google/genai`) writes as
 * strings: `"minItems": "1"` is not valid JSON Schema.
 */
const INT64_KEYS = new Set([
  'minItems',
  'maxItems',
  'minLength',
  'maxLength',
  'minProperties',
  'maxProperties',
]);

/**
 * A Gemini `Schema` (OpenAPI subset: `type: "OBJECT"`, `nullable`) → JSON Schema, which the
 * other upstreams take: types in lower case, `nullable` as a `null` type alternative, int64
 * limits as numbers, enums as values of their type.
 */
export function geminiSchemaToJsonSchema(schema: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(schema)) {
    if (DROPPED.has(key)) continue;
    // Gemini's marker for a string enum; JSON Schema has no such format.
    if (key === 'format' && value === 'enum') continue;
    if (key === 'type' && typeof value === 'string') out.type = value.toLowerCase();
    else if (key === 'properties' && isJsonObject(value)) out.properties = mapValues(value);
    else if (key === 'items' && isJsonObject(value)) out.items = geminiSchemaToJsonSchema(value);
    else if ((key === 'anyOf' || key === 'oneOf' || key === 'allOf') && Array.isArray(value))
      out[key] = value.map(convertValue);
    else if (INT64_KEYS.has(key)) out[key] = asNumber(value);
    else out[key] = value;
  }
  if (Array.isArray(out.enum)) out.enum = enumValues(out.enum, out.type, schema.nullable === true);
  if (schema.nullable === true && typeof out.type === 'string') out.type = [out.type, 'null'];
  return out;
}

function asNumber(value: JsonValue): JsonValue {
  return typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))
    ? Number(value)
    : value;
}

/**
 * Gemini's enums are strings whatever the type; a numeric type's become numbers. A nullable
 * enum lists null too, or the `null` type alternative would still be refused by the enum.
 */
function enumValues(values: JsonValue[], type: JsonValue | undefined, nullable: boolean): JsonValue[] {
  const numeric = type === 'integer' || type === 'number';
  const out = values.map((v) => (numeric ? asNumber(v) : v));
  return nullable && !out.includes(null) ? [...out, null] : out;
}

function mapValues(properties: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [name, value] of Object.entries(properties)) out[name] = convertValue(value);
  return out;
}

function convertValue(value: JsonValue): JsonValue {
  return isJsonObject(value) ? geminiSchemaToJsonSchema(value) : value;
}
