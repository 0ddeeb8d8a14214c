/** Channel headers whose values are secrets (`authorization`, `x-api-key`, `x-portkey-api-key`, …). */
const SECRET_HEADER = /auth|key|token|secret|cookie/i;

/** A channel's headers; a config stored by an older version may have none. */
type ChannelHeaders = Readonly<Record<string, string>> | undefined;

/** Whether a channel header's value is a secret: masked in the admin API, sealed at rest. */
export function isSecretHeader(name: string): boolean {
  return SECRET_HEADER.test(name);
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
