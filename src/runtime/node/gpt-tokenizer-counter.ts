import type { TokenCounter } from '../../usage/token-counter.js';
import { heuristicTokens } from '../../usage/token-counter.js';

type Encode = (text: string) => number;

/**
 * BPE merges within one pre-token cost time that grows with the square of its length, so a long
 * run without spaces (say 100k characters of base64) would hold the event loop for seconds.
 * Texts are therefore counted in slices of this many characters (a cut adds at most a token or
 * so per slice, well under 1% on prose) ...
 */
export const TOKENIZER_SLICE_CHARS = 500;
/** ... and texts longer than this are counted by the heuristic, which is linear and cheap. */
export const TOKENIZER_MAX_CHARS = 262_144;

/** Models that use OpenAI's o200k vocabulary; everything else is approximated with cl100k. */
const O200K_MODELS = /(^|\/)(gpt-4o|gpt-4\.1|gpt-4\.5|gpt-5|o1|o3|o4|chatgpt-4o|gpt-oss)/i;

/**
 * gpt-tokenizer (pure JavaScript BPE), imported on first use: its vocabularies are ~4 MB of
 * code and ~60 MB of heap, so start-up and every request that needs no estimate (upstreams that
 * report usage, keys without token limits) never load them. Counts made before the load
 * finishes use the heuristic, and say so.
 */
export function createGptTokenizerCounter(): TokenCounter {
  let o200k: Encode | null = null;
  let cl100k: Encode | null = null;
  let loading: Promise<void> | null = null;
  const load = (): Promise<void> => {
    loading ??= Promise.all([
      import('gpt-tokenizer/encoding/o200k_base'),
      import('gpt-tokenizer/encoding/cl100k_base'),
    ]).then(
      ([o, c]) => {
        o200k = (text) => o.countTokens(text);
        cl100k = (text) => c.countTokens(text);
      },
      // A broken install leaves the heuristic in place rather than failing requests.
      () => {},
    );
    return loading;
  };
  return {
    count(text, model, mayLoad = true) {
      // Nothing to count is exact whichever method would have counted it.
      if (!text) return { tokens: 0, method: 'tokenizer' };
      const encode = model && O200K_MODELS.test(model) ? o200k : cl100k;
      if (encode && text.length <= TOKENIZER_MAX_CHARS)
        return { tokens: sliced(encode, text), method: 'tokenizer' };
      // The load holds the event loop (and every stream in flight) for 150-300 ms while the
      // vocabularies compile and build their tables: worth it for a count meant to be exact.
      if (mayLoad) void load();
      return { tokens: heuristicTokens(text), method: 'heuristic' };
    },
    ready: load,
  };
}

function sliced(encode: Encode, text: string): number {
  if (text.length <= TOKENIZER_SLICE_CHARS) return encode(text);
  let tokens = 0;
  for (let at = 0; at < text.length; at += TOKENIZER_SLICE_CHARS) {
    tokens += encode(text.slice(at, at + TOKENIZER_SLICE_CHARS));
  }
  return tokens;
}
