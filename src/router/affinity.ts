import type { JsonObject } from '../spec/json.js';

/**
 * The conversation fingerprint for prompt-cache affinity: client key + model + the first
 * `leading` messages. Later turns of one conversation share their leading messages, so they map to
 * the same upstream key. FNV-1a: fast, stable, and never leaves the process, so no crypto needed.
 */
export function affinityHash(
  clientKeyId: string | null,
  model: string,
  json: JsonObject | null,
  leading: number,
): number | null {
  const messages = json?.messages;
  if (!Array.isArray(messages) || messages.length === 0) return null;
  const text = `${clientKeyId ?? ''}\u0000${model}\u0000${JSON.stringify(messages.slice(0, leading))}`;
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
