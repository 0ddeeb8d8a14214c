import type { TokenCount, TokenCounter } from '../../usage/token-counter.js';
import { heuristicUnits } from '../../usage/token-counter.js';
import { type CountMemo, createCountMemo } from './token-count-memo.js';

type Encode = (text: string) => number;

/**
 * BPE merges within one pre-token cost time that grows with the square of its length, so a long
 * run without spaces (say 100k characters of base64) would hold the event loop for seconds.
 * Texts are therefore counted in slices of this many characters (a cut adds at most a token or
 * so per slice, well under 1% on prose) ...
 */
export const TOKENIZER_SLICE_CHARS = 500;
/**
 * ... and texts longer than this are counted by the heuristic, which is linear and cheap; so are
 * the texts of one count past this much tokenizing work (characters not remembered) ...
 */
export const TOKENIZER_MAX_CHARS = 262_144;
/**
 * ... where each text tokenized counts as at least this many characters: a call to the tokenizer
 * costs about what that many characters do, so a prompt of many tiny texts (a body of a million
 * one-letter strings) stays as bounded as one long text.
 */
export const TOKENIZER_CALL_CHARS = 64;

/**
 * Texts whose counts are remembered, per vocabulary (token-count-memo.ts): a digest and a number
 * each, ~150 bytes, so ~3 MB at most for both.
 */
const REMEMBERED_TEXTS = 10_000;
/** Texts shorter than this are tokenized every time. */
const REMEMBERED_MIN_CHARS = 32;

/** Models that use OpenAI's o200k vocabulary; everything else is approximated with cl100k. */
const O200K_MODELS = /(^|\/)(gpt-4o|gpt-4\.1|gpt-4\.5|gpt-5|o1|o3|o4|chatgpt-4o|gpt-oss)/i;

/**
 * gpt-tokenizer (pure JavaScript BPE), imported on first use: its vocabularies are ~4 MB of
 * code and ~60 MB of heap, so start-up and every request that needs no estimate (upstreams that
 * report usage, keys without token limits) never load them. Counts made before the load
 * finishes use the heuristic, and say so. A prompt's texts, once counted, are looked up after
 * that (by digest), so the system prompt, tool definitions and history that requests repeat are
 * tokenized once, not with every request.
 */
export function createGptTokenizerCounter(): TokenCounter {
  let o200k: Vocabulary | null = null;
  let cl100k: Vocabulary | null = null;
  let loading: Promise<void> | null = null;
  const load = (): Promise<void> => {
    loading ??= Promise.all([
      import('gpt-tokenizer/encoding/o200k_base'),
      import('gpt-tokenizer/encoding/cl100k_base'),
    ]).then(
      ([o, c]) => {
        o200k = vocabulary((text) => o.countTokens(text));
        cl100k = vocabulary((text) => c.countTokens(text));
      },
      // A broken install leaves the heuristic in place rather than failing requests.
      () => {},
    );
    return loading;
  };
  const countTexts = (
    parts: readonly string[],
    model: string | null,
    mayLoad: boolean,
    /** Whose texts these are; null: a completion's text, new every time, is not remembered. */
    scope: string | null,
  ): TokenCount => {
    const known = model && O200K_MODELS.test(model) ? o200k : cl100k;
    let tokens = 0;
    /** What the heuristic counted, summed before rounding (once, at the end). */
    let units = 0;
    let heuristic = false;
    /** Tokenizing work so far, in characters (remembered texts cost a look-up, not a count). */
    let work = 0;
    for (const text of parts) {
      // Nothing to count is exact whichever method would have counted it.
      if (!text) continue;
      if (known && text.length <= TOKENIZER_MAX_CHARS) {
        const key = scope === null ? null : known.memo.keyOf(text, scope);
        const remembered = key === null ? undefined : known.memo.get(key);
        if (remembered !== undefined) {
          tokens += remembered;
          continue;
        }
        const cost = Math.max(text.length, TOKENIZER_CALL_CHARS);
        if (work + cost <= TOKENIZER_MAX_CHARS) {
          const counted = sliced(known.encode, text);
          work += cost;
          if (key !== null) known.memo.set(key, counted);
          tokens += counted;
          continue;
        }
      }
      // The load holds the event loop (and every stream in flight) for 150-300 ms while the
      // vocabularies compile and build their tables: worth it for a count meant to be exact.
      if (!known && mayLoad) void load();
      units += heuristicUnits(text);
      heuristic = true;
    }
    return { tokens: tokens + Math.ceil(units), method: heuristic ? 'heuristic' : 'tokenizer' };
  };
  return {
    count: (text, model, mayLoad = true) => countTexts([text], model, mayLoad, null),
    countParts: (parts, model, mayLoad = true, scope) => countTexts(parts, model, mayLoad, scope ?? null),
    ready: load,
  };
}

/** A loaded vocabulary: its tokenizer, and the counts of the texts it has counted. */
interface Vocabulary {
  readonly encode: Encode;
  readonly memo: CountMemo;
}

function vocabulary(encode: Encode): Vocabulary {
  return { encode, memo: createCountMemo({ maxEntries: REMEMBERED_TEXTS, minChars: REMEMBERED_MIN_CHARS }) };
}

function sliced(encode: Encode, text: string): number {
  if (text.length <= TOKENIZER_SLICE_CHARS) return encode(text);
  let tokens = 0;
  for (let at = 0; at < text.length; at += TOKENIZER_SLICE_CHARS) {
    tokens += encode(text.slice(at, at + TOKENIZER_SLICE_CHARS));
  }
  return tokens;
}
