/** Counts tokens of a text for a model family. */
export type TokenCounter = (text: string) => number;

export interface TokenEstimator {
  /** Tokens in `text` as the model's tokenizer would count them (a heuristic until loaded). */
  count(text: string, model: string | null): number;
  /** Whether the real tokenizers are loaded (before that, counts use ~4 characters a token). */
  readonly ready: boolean;
  /** Loads the tokenizers; safe to call more than once. */
  load(): Promise<void>;
}

/** Models that use OpenAI's o200k vocabulary; everything else is approximated with cl100k. */
const O200K_MODELS = /(^|\/)(gpt-4o|gpt-4\.1|gpt-4\.5|gpt-5|o1|o3|o4|chatgpt-4o|gpt-oss)/i;

/** Used before the tokenizers load, and if they fail to: about four characters per token. */
export const heuristicCount: TokenCounter = (text) => Math.ceil(text.length / 4);

/**
 * Token estimates with gpt-tokenizer (pure JavaScript BPE, so it runs on every runtime). Its
 * vocabularies take a few hundred ms and ~60 MB of memory to load, so they load in the
 * background the first time an estimate is asked for (that one uses the heuristic): a gateway
 * whose upstreams always report usage and that sets no token limits never pays for them.
 */
export function createTokenEstimator(): TokenEstimator {
  let o200k: TokenCounter | null = null;
  let cl100k: TokenCounter | null = null;
  let loading: Promise<void> | null = null;
  const load = (): Promise<void> => {
    loading ??= Promise.all([
      import('gpt-tokenizer/encoding/o200k_base'),
      import('gpt-tokenizer/encoding/cl100k_base'),
    ]).then(([o, c]) => {
      o200k = (text) => o.countTokens(text);
      cl100k = (text) => c.countTokens(text);
    });
    return loading;
  };
  return {
    count(text, model) {
      if (!text) return 0;
      if (!loading) load().catch(() => {});
      const counter = model && O200K_MODELS.test(model) ? o200k : cl100k;
      return (counter ?? heuristicCount)(text);
    },
    get ready() {
      return o200k !== null && cl100k !== null;
    },
    load,
  };
}
