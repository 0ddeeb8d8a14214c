/** Distinct model names a remembered lookup keeps its answers for; past it, it starts over. */
const REMEMBERED = 1_024;

/**
 * `answer` with each name's answer remembered (its table never changes), for at most 1,024 names
 * at a time: model names come from clients, so there is no end to them.
 */
export function rememberAnswers<T>(answer: (model: string) => T): (model: string) => T {
  const answers = new Map<string, { readonly value: T }>();
  return (model) => {
    const remembered = answers.get(model);
    if (remembered) return remembered.value;
    const value = answer(model);
    if (answers.size >= REMEMBERED) answers.clear();
    answers.set(model, { value });
    return value;
  };
}

/**
 * A table keyed by exact model names or `*` globs: exact names win, then globs in table order.
 * A name matched by a glob late in a long table would cost a regex test per glob before it on
 * every request: its answer is remembered.
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
  const byGlob = rememberAnswers((model) => globs.find((g) => g.pattern.test(model))?.value);
  return (model) => (exact.has(model) ? exact.get(model) : byGlob(model));
}

function escapeRegExp(text: string): string {
  return text.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
}
