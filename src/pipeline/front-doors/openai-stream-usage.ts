import type { JsonObject } from '../../spec/json.js';

/**
 * The body with `stream_options.include_usage` set, or null when the client already asked for
 * it (then its usage event is the client's and passes through untouched).
 */
export function withStreamUsage(json: JsonObject): { json: JsonObject; rawBody: string } | null {
  const options = json.stream_options;
  const current = options !== null && typeof options === 'object' && !Array.isArray(options) ? options : {};
  if (current.include_usage === true) return null;
  const next: JsonObject = { ...json, stream_options: { ...current, include_usage: true } };
  return { json: next, rawBody: JSON.stringify(next) };
}
