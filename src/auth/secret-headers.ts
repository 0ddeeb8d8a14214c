/**
 * Words that mark a channel header as a secret wherever they appear in its name
 * (`authorization`, `x-api-key`, `x-portkey-api-key`, `x-password`, `x-amz-credential`,
 * `x-hub-signature-256`, `x-session-id`, …). The rule may only ever widen: a header that stopped
 * counting as secret would be sent upstream still sealed.
 */
const SECRET_WORD =
  /auth|key|token|secret|cookie|passw|passphrase|credential|signature|session|private|bearer|jwt/i;

/** Short words that mark a secret only as a whole part of the name: `x-api-pass`, not `x-cache-bypass`. */
const SECRET_PART = new Set(['pass', 'pwd', 'sig', 'otp', 'pin']);

/** A channel's headers; a config stored by an older version may have none. */
type ChannelHeaders = Readonly<Record<string, string>> | undefined;

/** Whether a channel header's value is a secret: masked in the admin API, sealed at rest. */
export function isSecretHeader(name: string): boolean {
  return (
    SECRET_WORD.test(name) ||
    name
      .toLowerCase()
      .split(/[-_.\s]+/)
      .some((part) => SECRET_PART.has(part))
  );
}

/** The values of the secret headers. */
export function secretHeaderValues(headers: ChannelHeaders): string[] {
  return Object.entries(headers ?? {})
    .filter(([name]) => isSecretHeader(name))
    .map(([, value]) => value);
}

/** The headers with each secret value passed through `map` (sealing or opening it). */
export async function mapSecretHeaders(
  headers: ChannelHeaders,
  map: (value: string) => Promise<string>,
): Promise<Record<string, string>> {
  const entries = await Promise.all(
    Object.entries(headers ?? {}).map(
      async ([name, value]): Promise<[string, string]> => [
        name,
        isSecretHeader(name) ? await map(value) : value,
      ],
    ),
  );
  return Object.fromEntries(entries);
}
