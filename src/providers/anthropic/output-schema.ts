import type { JsonObject, JsonValue } from '../../spec/json.js';

/**
 * What Anthropic's structured outputs take of JSON Schema (docs.claude.com, "Structured
 * outputs", JSON schema limitations): these keywords, `minItems` of 0 or 1, the string formats
 * below, and objects closed with `additionalProperties: false`. Anything else is refused with a
 * 400, so, as Anthropic's own SDKs do, it moves into the description, where the model still
 * reads it.
 */
const KEPT = new Set(['type', 'description', 'enum', 'const', 'default', 'required', 'pattern', '$ref']);
/** Keywords holding one schema, a list of schemas, or a map of named schemas. */
const ONE_SCHEMA = new Set(['items']);
const SCHEMA_LISTS = new Set(['anyOf', 'allOf']);
const SCHEMA_MAPS = new Set(['properties', '$defs', 'definitions']);
const FORMATS = new Set([
  'date-time',
  'time',
  'date',
  'duration',
  'email',
  'hostname',
  'uri',
  'ipv4',
  'ipv6',
  'uuid',
]);

const isObject = (value: JsonValue | undefined): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const sub = (value: JsonValue): JsonValue => (isObject(value) ? anthropicOutputSchema(value) : value);

/**
 * An OpenAI (or Gemini) JSON schema in the dialect Anthropic's `output_config.format` takes:
 * `oneOf` read as `anyOf` (a value matching exactly one branch matches at least one), every object
 * closed (`additionalProperties: false`, which Anthropic requires), and every keyword it refuses
 * (numeric and length bounds, `not`, tuple `items`, an open object's `additionalProperties`
 * schema, an unsupported `format`, …) written into the description instead. A `title` is dropped.
 * The input is not changed.
 */
export function anthropicOutputSchema(schema: JsonObject): JsonObject {
  const out: JsonObject = {};
  const moved: string[] = [];
  const move = (key: string, value: JsonValue) => moved.push(`${key}: ${JSON.stringify(value)}`);
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'title' || key === 'additionalProperties') continue;
    if (KEPT.has(key)) out[key] = value;
    else if (key === 'oneOf' || SCHEMA_LISTS.has(key)) {
      if (!Array.isArray(value)) move(key, value);
      else {
        const name = key === 'oneOf' ? 'anyOf' : key;
        const existing = Array.isArray(out[name]) ? (out[name] as JsonValue[]) : [];
        out[name] = [...existing, ...value.map(sub)];
      }
    } else if (ONE_SCHEMA.has(key) && isObject(value)) out[key] = anthropicOutputSchema(value);
    else if (SCHEMA_MAPS.has(key) && isObject(value))
      out[key] = Object.fromEntries(Object.entries(value).map(([name, s]) => [name, sub(s)]));
    else if (key === 'format' && typeof value === 'string' && FORMATS.has(value)) out[key] = value;
    else if (key === 'minItems' && (value === 0 || value === 1)) out[key] = value;
    else move(key, value);
  }
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  const extra = schema.additionalProperties;
  if (types.includes('object') || isObject(schema.properties) || extra !== undefined) {
    // An open object (a map of any keys) cannot be said in this dialect: its shape goes to the
    // description and the object is closed, as Anthropic requires.
    if (extra !== undefined && extra !== false) move('additionalProperties', extra);
    out.additionalProperties = false;
  }
  if (moved.length > 0) {
    const note = `{${moved.join(', ')}}`;
    out.description = typeof schema.description === 'string' ? `${schema.description}\n\n${note}` : note;
  }
  return out;
}
