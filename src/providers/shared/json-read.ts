import { isJsonObject, type JsonObject, type JsonValue } from '../../spec/json.js';

/** Narrow readers for untrusted wire JSON: wrong types read as absent, never throw. */
export const str = (value: JsonValue | undefined): string | undefined =>
  typeof value === 'string' ? value : undefined;

export const num = (value: JsonValue | undefined): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) ? value : undefined;

export const obj = (value: JsonValue | undefined): JsonObject | undefined =>
  isJsonObject(value) ? value : undefined;

export const arr = (value: JsonValue | undefined): JsonValue[] => (Array.isArray(value) ? value : []);

export const objects = (value: JsonValue | undefined): JsonObject[] => arr(value).filter(isJsonObject);

/** Drops undefined fields so encoded bodies carry only what was set. */
export function compact(fields: Record<string, JsonValue | undefined>): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(fields)) if (value !== undefined) out[key] = value;
  return out;
}

/** Parses tool-call argument text into an object; anything else becomes `{}` (the formats need an object). */
export function parseArguments(text: string): JsonObject {
  try {
    const parsed: unknown = JSON.parse(text || '{}');
    return isJsonObject(parsed) ? parsed : {};
  } catch {
    return {};
  }
}

/** An SSE event's data as a JSON object; null for `[DONE]`, other non-JSON text, or a non-object. */
export function eventObject(data: string): JsonObject | null {
  try {
    const parsed: unknown = JSON.parse(data);
    return isJsonObject(parsed) ? parsed : null;
  } catch {
    return null;
  }
}
