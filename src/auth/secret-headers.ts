/** Channel headers whose values are secrets (`authorization`, `x-api-key`, `x-portkey-api-key`, …). */
const SECRET_HEADER = /auth|key|token|secret|cookie/i;

/** Whether a channel header's value is a secret: masked in the admin API, sealed at rest. */
export function isSecretHeader(name: string): boolean {
  return SECRET_HEADER.test(name);
}

/** The headers with each secret value passed through `map` (sealing or opening it). */
export async function mapSecretHeaders(
  headers: Readonly<Record<string, string>>,
  map: (value: string) => Promise<string>,
): Promise<Record<string, string>> {
  const entries = await Promise.all(
    Object.entries(headers).map(
      async ([name, value]): Promise<[string, string]> => [
        name,
        isSecretHeader(name) ? await map(value) : value,
      ],
    ),
  );
  return Object.fromEntries(entries);
}
