import type { JsonObject } from '../../spec/json.js';

const STREAM_USAGE = '"stream_options":{"include_usage":true}';

/**
 * The body with `stream_options.include_usage` set, or null when the client already asked for
 * it (then its usage event is the client's and passes through untouched).
 *
 * A body without `stream_options` (nearly every one) gets the field written in after its opening
 * brace, and keeps every other byte the client sent: re-encoding it would change what JSON.parse
 * cannot hold, such as a `seed` past 2^53. A body with other `stream_options` is re-encoded.
 */
export function withStreamUsage(
  json: JsonObject,
  rawBody: string,
): { json: JsonObject; rawBody: string } | null {
  const options = json.stream_options;
  const current = options !== null && typeof options === 'object' && !Array.isArray(options) ? options : {};
  if (current.include_usage === true) return null;
  const next: JsonObject = { ...json, stream_options: { ...current, include_usage: true } };
  const open = rawBody.indexOf('{');
  if (options !== undefined || open === -1) return { json: next, rawBody: JSON.stringify(next) };
  const rest = rawBody.slice(open + 1);
  const empty = rest.trimStart().startsWith('}');
  return { json: next, rawBody: `${rawBody.slice(0, open + 1)}${STREAM_USAGE}${empty ? '' : ','}${rest}` };
}
