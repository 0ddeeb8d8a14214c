/**
 * Where a reasoning signature may go. A signature is valid only at the provider that issued it:
 * Anthropic refuses a thinking block it did not sign, and Gemini a `thoughtSignature` it did not
 * make (another's is not even its base64). A conversation that moves between providers (a model
 * switch, `previous_response_id` on another channel) must not hand one provider's signature to
 * the other.
 *
 * So inside the gateway, and toward clients of any other format, a signature carries its issuer
 * as a prefix: `anthropic:…`, `gemini:…`. Neither provider's signatures contain `:`. A
 * signature without one (sent back from before these prefixes, or by an OpenAI-format client
 * from elsewhere) has no known issuer and goes where it is sent, as it always did.
 */
export type SignatureIssuer = 'anthropic' | 'gemini';

const ISSUERS: readonly SignatureIssuer[] = ['anthropic', 'gemini'];

function split(value: string): { issuer: SignatureIssuer | null; bare: string } {
  const colon = value.indexOf(':');
  const issuer = colon > 0 ? ISSUERS.find((name) => name === value.slice(0, colon)) : undefined;
  return issuer ? { issuer, bare: value.slice(colon + 1) } : { issuer: null, bare: value };
}

/**
 * A signature read in `format`'s own wire format (its upstream's answer, or a history its
 * client sends back): a bare one is that provider's; a prefixed one keeps its issuer (a Gemini
 * client holds it base64-wrapped, see `signatureToClient`).
 */
export function signatureFrom(format: SignatureIssuer, value: string): string {
  if (split(value).issuer) return value;
  const unwrapped = format === 'gemini' ? unwrapForGemini(value) : null;
  return unwrapped ?? `${format}:${value}`;
}

/**
 * A signature for an upstream of `format`: its own, bare; another provider's, none (the
 * reasoning then goes unsigned, which each encoder already handles); one of no known issuer,
 * as given.
 */
export function signatureFor(format: SignatureIssuer, value: string): string | undefined {
  const { issuer, bare } = split(value);
  if (issuer === null) return value;
  return issuer === format ? bare : undefined;
}

/**
 * A signature for a client of `format`: its own provider's bare, as that provider would send
 * it; another's keeps its prefix, so it is known again when the client sends it back. Gemini's
 * `thoughtSignature` is bytes (base64 on the wire; the Go, Java and Python SDKs decode it), so
 * toward a Gemini client the prefixed value travels base64-encoded.
 */
export function signatureToClient(format: SignatureIssuer, value: string): string {
  const { issuer, bare } = split(value);
  if (issuer === format) return bare;
  return format === 'gemini' && issuer !== null ? base64(value) : value;
}

/**
 * The base64 that each foreign issuer's wrapped signatures start with (whole 3-byte groups of
 * `<issuer>:`): what marks a Gemini client's signature as another provider's without decoding
 * every one.
 */
export const WRAPPED_FOR_GEMINI: readonly string[] = ISSUERS.filter((i) => i !== 'gemini').map((issuer) => {
  const marker = `${issuer}:`;
  return base64(marker).slice(0, Math.floor(marker.length / 3) * 4);
});

function unwrapForGemini(value: string): string | null {
  if (!WRAPPED_FOR_GEMINI.some((prefix) => value.startsWith(prefix))) return null;
  try {
    const decoded = fromBase64(value);
    return split(decoded).issuer ? decoded : null;
  } catch {
    return null;
  }
}

function base64(text: string): string {
  let binary = '';
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function fromBase64(encoded: string): string {
  const binary = atob(encoded);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
}
