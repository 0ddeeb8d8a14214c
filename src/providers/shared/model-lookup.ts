/** A table keyed by exact model names or `*` globs: exact names win, then globs in table order. */
export function createModelLookup<T>(table: Readonly<Record<string, T>>): (model: string) => T | undefined {
  const exact = new Map<string, T>();
  const globs: { pattern: RegExp; value: T }[] = [];
  for (const [name, value] of Object.entries(table)) {
    if (name.includes('*')) {
      const source = name.split('*').map(escapeRegExp).join('.*');
      globs.push({ pattern: new RegExp(`^${source}$`), value });
    } else exact.set(name, value);
  }
  return (model) => (exact.has(model) ? exact.get(model) : globs.find((g) => g.pattern.test(model))?.value);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
}
