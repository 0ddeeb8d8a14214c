/** Compiles model patterns (`gpt-4o`, `deepseek/*`, `*-mini`) into one matcher. Empty = all. */
export function compileModelScope(patterns: readonly string[]): (model: string) => boolean {
  if (patterns.length === 0) return () => true;
  const exact = new Set(patterns.filter((p) => !p.includes('*')));
  const globs = patterns
    .filter((p) => p.includes('*'))
    .map((p) => new RegExp(`^${p.split('*').map(escapeRegExp).join('.*')}$`));
  return (model) => exact.has(model) || globs.some((re) => re.test(model));
}

function escapeRegExp(text: string): string {
  return text.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
}
