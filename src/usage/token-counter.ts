/** How a count was made: a real BPE tokenizer, or the script-aware heuristic. */
export type CountMethod = 'tokenizer' | 'heuristic';

export interface TokenCount {
  readonly tokens: number;
  readonly method: CountMethod;
}

/**
 * The one token counter of the codebase (count_tokens, limit reservations, usage estimates).
 * A runtime supplies it: Node a lazily loaded tokenizer (runtime/node/gpt-tokenizer-counter.ts),
 * a runtime that cannot afford one the heuristic below.
 */
export interface TokenCounter {
  /**
   * Counts now: with the tokenizer if it is loaded, else the heuristic (and starts the load,
   * unless `load` is false: a count that is rough anyway, e.g. of a stream cut short).
   */
  count(text: string, model: string | null, load?: boolean): TokenCount;
  /**
   * Counts texts sent together (a request's messages, its tools), each apart, and sums them: a
   * heuristic count of any makes the sum heuristic. The Node counter remembers the prompt texts
   * it has counted, per `scope` (the user whose request it is), so what a user's requests repeat
   * (a system prompt, a conversation's history) is counted once, and how fast a count comes
   * back says nothing about what another user sent. Without a scope nothing is remembered.
   */
  countParts(parts: readonly string[], model: string | null, load?: boolean, scope?: string): TokenCount;
  /** Settles once the best method is ready; never rejects (a failed load leaves the heuristic). */
  ready(): Promise<void>;
}

/**
 * About how BPE vocabularies (o200k, cl100k, Claude's) split text: ~4 characters a token for
 * ASCII, ~1 token a character for Chinese, Japanese and Korean, ~2 characters a token for the
 * other scripts (Cyrillic, Greek, Arabic, Devanagari, …) and for emoji. Within ~15% on prose;
 * code and long numbers run higher.
 */
export function heuristicTokens(text: string): number {
  return Math.ceil(heuristicUnits(text));
}

/** The heuristic's count before rounding: texts counted together are summed, then rounded once. */
export function heuristicUnits(text: string): number {
  let ascii = 0;
  let cjk = 0;
  let other = 0;
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (code < 0x80) ascii++;
    else if (CJK.test(char)) cjk++;
    else other++;
  }
  return ascii / 4 + cjk + other / 2;
}

const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;

/** The counter for runtimes without a tokenizer: the heuristic, always ready. */
export function createHeuristicTokenCounter(): TokenCounter {
  return {
    count: (text) => ({ tokens: text ? heuristicTokens(text) : 0, method: 'heuristic' }),
    countParts(parts) {
      let units = 0;
      for (const part of parts) units += heuristicUnits(part);
      return { tokens: Math.ceil(units), method: 'heuristic' };
    },
    ready: () => Promise.resolve(),
  };
}
