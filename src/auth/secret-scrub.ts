import { isJsonObject, type JsonValue } from '../spec/json.js';
import { maskSecret } from './secret-box.js';

/**
 * What an upstream says about a failed request may quote the key it was sent ("Incorrect API key
 * provided: sk-…"). Everything the gateway relays or records from an upstream error passes
 * through here: secrets the request knows are masked, and so is anything shaped like a provider
 * key, since a key the gateway does not know (another tenant's, a stale one) is still a key.
 */
const KEY_SHAPES =
  /(?<![A-Za-z0-9_-])(?:sk-ant-[A-Za-z0-9_-]{8,}|sk-proj-[A-Za-z0-9_-]{8,}|sk-[A-Za-z0-9_-]{16,}|AIza[A-Za-z0-9_-]{20,}|nvapi-[A-Za-z0-9_-]{16,}|fw_[A-Za-z0-9_-]{16,}|gsk_[A-Za-z0-9_-]{16,})/g;
/** A long token after `Bearer ` or `api key:` / `api_key=` is a credential whatever its shape. */
const AFTER_LABEL = /(bearer\s+|api[ _-]?key\s*[:=]\s*["']?)([A-Za-z0-9._~+/=-]{16,})/gi;
/** Shorter known secrets are not masked: a 3-letter test key would mangle ordinary words. */
const MIN_KNOWN_LENGTH = 6;

/** The known secrets worth looking for. */
export function maskableSecrets(known: readonly (string | null | undefined)[]): string[] {
  return [...new Set(known)].filter((s): s is string => !!s && s.length >= MIN_KNOWN_LENGTH);
}

export function scrubSecrets(text: string, known: readonly string[] = []): string {
  let out = text;
  for (const secret of maskableSecrets(known)) {
    if (out.includes(secret)) out = out.split(secret).join(maskSecret(secret));
  }
  return out
    .replace(KEY_SHAPES, (key) => maskSecret(key))
    .replace(AFTER_LABEL, (_match, label: string, token: string) => `${label}${maskSecret(token)}`);
}

/**
 * Scrubs a JSON text inside its string values, so the result is still the JSON the client's SDK
 * parses; a text that is not JSON is scrubbed as text.
 */
export function scrubJsonText(text: string, known: readonly string[] = []): string {
  let parsed: JsonValue;
  try {
    parsed = JSON.parse(text) as JsonValue;
  } catch {
    return scrubSecrets(text, known);
  }
  // Compared parsed, not as text: a secret with a quote or backslash is escaped in the JSON text.
  const before = JSON.stringify(parsed);
  const after = JSON.stringify(scrubValue(parsed, known));
  return after === before ? text : after;
}

function scrubValue(value: JsonValue, known: readonly string[]): JsonValue {
  if (typeof value === 'string') return scrubSecrets(value, known);
  if (Array.isArray(value)) return value.map((item) => scrubValue(item, known));
  if (isJsonObject(value)) {
    const out: Record<string, JsonValue> = {};
    for (const [name, item] of Object.entries(value))
      out[scrubSecrets(name, known)] = scrubValue(item, known);
    return out;
  }
  return value;
}
