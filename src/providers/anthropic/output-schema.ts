import type { JsonObject, JsonValue } from '../../spec/json.js';

/**
 * Keywords Anthropic's structured outputs refuse (docs.claude.com, "Structured outputs", JSON
 * schema limitations): numeric and length bounds. Anthropic's own SDKs move them into the
 * description, where the model still reads them; so does this.
 */
const UNSUPPORTED = [
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'minLength',
  'maxLength',
  'maxItems',
  'uniqueItems',
  'minProperties',
  'maxProperties',
] as const;

/** Keywords whose value is a schema, or a map or list of schemas. */
const ONE_SCHEMA = ['items', 'not', 'additionalItems', 'contains'] as const;
const SCHEMA_MAPS = ['properties', '$defs', 'definitions', 'patternProperties'] as const;
const SCHEMA_LISTS = ['anyOf', 'allOf', 'oneOf', 'prefixItems'] as const;

const isObject = (value: JsonValue | undefined): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * An OpenAI (or Gemini) JSON schema in the dialect Anthropic's `output_config.format` takes:
 * every object closed (`additionalProperties: false`, which Anthropic requires), `minItems` only
 * 0 or 1, and the bounds it refuses written into the description instead. The input is not
 * changed.
 */
export function anthropicOutputSchema(schema: JsonObject): JsonObject {
  const out: JsonObject = {};
  const moved: string[] = [];
  for (const [key, value] of Object.entries(schema)) {
    if ((UNSUPPORTED as readonly string[]).includes(key)) moved.push(`${key}: ${JSON.stringify(value)}`);
    else if (key === 'minItems' && typeof value === 'number' && value > 1) moved.push(`minItems: ${value}`);
    else if ((ONE_SCHEMA as readonly string[]).includes(key) && isObject(value))
      out[key] = anthropicOutputSchema(value);
    else if ((SCHEMA_MAPS as readonly string[]).includes(key) && isObject(value))
      out[key] = Object.fromEntries(
        Object.entries(value).map(([name, sub]) => [name, isObject(sub) ? anthropicOutputSchema(sub) : sub]),
      );
    else if ((SCHEMA_LISTS as readonly string[]).includes(key) && Array.isArray(value))
      out[key] = value.map((sub) => (isObject(sub) ? anthropicOutputSchema(sub) : sub));
    else out[key] = value;
  }
  const isObjectSchema =
    schema.type === 'object' || (Array.isArray(schema.type) && schema.type.includes('object'));
  if (isObjectSchema || isObject(schema.properties)) {
    // An open object (a map of any keys) cannot be said in this dialect: the shape goes to the
    // description and the object is closed, as Anthropic requires.
    const extra = schema.additionalProperties;
    if (extra !== undefined && extra !== false) moved.push(`additionalProperties: ${JSON.stringify(extra)}`);
    out.additionalProperties = false;
  }
  if (moved.length > 0) {
    const note = `{${moved.join(', ')}}`;
    out.description = typeof schema.description === 'string' ? `${schema.description}\n\n${note}` : note;
  }
  return out;
}
