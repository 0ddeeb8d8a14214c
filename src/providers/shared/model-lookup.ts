/** Distinct model names a lookup remembers its answers for; past it, it starts over. */
const REMEMBERED = 1_024;

/**
 * A table keyed by exact model names or `*` globs: exact names win, then globs in table order.
 * The answer for a name is remembered (the table never changes): a name matched by a glob late
 * in a long table costs a regex test per glob before it, on every request for it otherwise.
 */
export function createModelLookup<T>(table: Readonly<Record<string, T>>): (model: string) => T | undefined {
  const exact = new Map<string, T>();
  const globs: { pattern: RegExp; value: T }[] = [];
  for (const [name, value] of Object.entries(table)) {
    if (name.includes('*')) {
      const source = name.split('*').map(escapeRegExp).join('.*');
      globs.push({ pattern: new RegExp(`^${source}$`), value });
    } else exact.set(name, value);
  }
  if (globs.length === 0) return (model) => exact.get(model);
  // Client-chosen names are unbounded: the memory is, not.
  const answers = new Map<string, { readonly value: T | undefined }>();
  return (model) => {
    const known = exact.get(model);
    if (known !== undefined || exact.has(model)) return known;
    const remembered = answers.get(model);
    if (remembered) return remembered.value;
    const value = globs.find((g) => g.pattern.test(model))?.value;
    if (answers.size >= REMEMBERED) answers.clear();
    answers.set(model, { value });
    return value;
  };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
}
