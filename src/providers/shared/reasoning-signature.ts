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
 * client sends back): a bare one is that provider's; a prefixed one keeps its issuer.
 */
export function signatureFrom(format: SignatureIssuer, value: string): string {
  return split(value).issuer ? value : `${format}:${value}`;
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
 * it; another's keeps its prefix, so it is known again when the client sends it back.
 */
export function signatureToClient(format: SignatureIssuer, value: string): string {
  const { issuer, bare } = split(value);
  return issuer === format ? bare : value;
}
