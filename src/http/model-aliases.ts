/**
 * Model aliases from config (`model_aliases`): a client's model name → the name routed. Keys are
 * exact names or `*` globs (`claude-*`); exact names win, then globs in config order. One step
 * only: an alias's target is not looked up again.
 */
export function createModelAliases(aliases: Readonly<Record<string, string>>): (model: string) => string {
  const exact = new Map<string, string>();
  const globs: { pattern: RegExp; target: string }[] = [];
  for (const [name, target] of Object.entries(aliases)) {
    if (name.includes('*')) {
      const source = name.split('*').map(escapeRegExp).join('.*');
      globs.push({ pattern: new RegExp(`^${source}$`), target });
    } else exact.set(name, target);
  }
  return (model) => exact.get(model) ?? globs.find((g) => g.pattern.test(model))?.target ?? model;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
}
