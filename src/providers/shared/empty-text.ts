/**
 * The parts without empty text: Anthropic refuses an empty text block ("text content blocks must
 * be non-empty"), Gemini an empty text part ("empty text parameter").
 */
export function withoutEmptyText<T extends { readonly type: string; readonly text?: string }>(
  parts: readonly T[],
): T[] {
  return parts.filter((p) => p.type !== 'text' || p.text !== '');
}
