/**
 * Replaces `${NAME}` and `${NAME:-default}` in every string of a parsed config tree with values
 * from env. A reference to an unset variable without a default is an error naming the path, so a
 * missing secret stops start-up instead of sending an empty key upstream.
 */
export function interpolateEnv(value: unknown, env: Record<string, string | undefined>, path = ''): unknown {
  if (typeof value === 'string') return interpolateString(value, env, path);
  if (Array.isArray(value)) return value.map((item, i) => interpolateEnv(item, env, `${path}[${i}]`));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      // Defined, not assigned: a `__proto__` key assigned would become the object's prototype,
      // its fields read as the section's own past the schema's unknown-key check.
      Object.defineProperty(out, key, {
        value: interpolateEnv(item, env, path ? `${path}.${key}` : key),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }
  return value;
}

const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

function interpolateString(text: string, env: Record<string, string | undefined>, path: string): string {
  // A `${` that starts no reference (`${OPENAI-KEY}`, `${ NAME }`, a nested default, no `}`)
  // would otherwise reach the upstream as a literal key; the value itself is not quoted.
  const leftover = text.replace(REFERENCE, (_match, _name: string, fallback: string | undefined) =>
    fallback?.includes('${') ? '${' : '',
  );
  if (leftover.includes('${'))
    throw new Error(
      `config ${path}: "\${" starts no valid reference: use \${NAME} or \${NAME:-fallback}, NAME being letters, digits and _ (not nested)`,
    );
  return text.replace(REFERENCE, (_match, name: string, fallback: string | undefined) => {
    const found = env[name];
    if (found !== undefined && found !== '') return found;
    if (fallback !== undefined) return fallback;
    throw new Error(`config ${path}: environment variable ${name} is not set`);
  });
}
