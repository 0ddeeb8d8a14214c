import { isJsonObject, type JsonValue } from '../spec/json.js';

/** Fields whose strings are generated text in OpenAI and Anthropic bodies and stream deltas. */
const TEXT_FIELDS = new Set([
  'content',
  'text',
  'reasoning_content',
  'reasoning',
  'refusal',
  'arguments',
  'partial_json',
  'thinking',
]);

/** The generated text inside a response body or stream chunk, for estimating output tokens. */
export function completionTextOf(value: JsonValue | undefined, out: string[] = []): string[] {
  if (Array.isArray(value)) {
    for (const item of value) completionTextOf(item, out);
  } else if (isJsonObject(value)) {
    for (const [key, item] of Object.entries(value)) {
      if (key === 'usage') continue;
      if (TEXT_FIELDS.has(key) && typeof item === 'string') out.push(item);
      else if (typeof item === 'object' && item !== null) completionTextOf(item, out);
    }
  }
  return out;
}
