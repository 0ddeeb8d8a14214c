import { sha256HexSync } from './sha256.js';

export interface CountMemoOptions {
  /** Texts remembered; beyond this the eighth used least recently is forgotten. */
  readonly maxEntries: number;
  /** Shorter texts are not remembered: tokenizing them costs about what a look-up does. */
  readonly minChars: number;
}

/**
 * The token counts of texts already counted, for one vocabulary. Requests repeat most of their
 * text: an application sends the same system prompt and tool definitions with every request, and
 * a chat client or a coding agent resends the whole conversation each turn. Each text is
 * tokenized once, then looked up: a look-up costs a SHA-256 of the text (~0.5 µs for 500
 * characters), tokenizing it 5-10 µs per 500 characters plus the garbage it leaves.
 *
 * The key is the digest of the scope and the text, not the text: a string taken from a parsed
 * request body may keep the whole body alive, and the memo holds no more than a digest and a
 * number per text. The scope (the user whose request it is) keeps tenants apart: a count that
 * comes back fast says only that the same user sent the same text before.
 */
export interface CountMemo {
  /** The key a text's count is remembered under; null for a text too short to remember. */
  keyOf(text: string, scope: string): string | null;
  /** The count remembered under `key`; a hit keeps it among the newest (least recently used go first). */
  get(key: string): number | undefined;
  set(key: string, tokens: number): void;
}

export function createCountMemo(options: CountMemoOptions): CountMemo {
  const { maxEntries, minChars } = options;
  const counts = new Map<string, number>();
  return {
    keyOf: (text, scope) =>
      text.length < minChars ? null : sha256HexSync(`${scope.length}:${scope}${text}`),
    get(key) {
      const tokens = counts.get(key);
      if (tokens !== undefined) {
        counts.delete(key);
        counts.set(key, tokens);
      }
      return tokens;
    },
    set(key, tokens) {
      if (counts.size >= maxEntries) forgetOldest(counts, Math.max(1, maxEntries >> 3));
      counts.set(key, tokens);
    },
  };
}

/** Drops the first `n` entries (a Map iterates in insertion order: the least recently used first). */
function forgetOldest(counts: Map<string, number>, n: number): void {
  let left = n;
  for (const key of counts.keys()) {
    if (left-- <= 0) break;
    counts.delete(key);
  }
}
