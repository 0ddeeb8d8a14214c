import { createModelLookup } from './shared/model-lookup.js';

/**
 * Output-token ceilings of popular models, by upstream model name (exact or `*` glob; exact
 * names first, then globs in this order). A request asking for more is clamped, since these
 * upstreams answer 400 instead of capping it themselves. A channel's `max_output_tokens`
 * overrides any entry. Where a provider bounds output only by the context window, the value is
 * its documented default ceiling (a safe, still generous cap).
 */
export const KNOWN_OUTPUT_LIMITS: Readonly<Record<string, number>> = {
  // DeepSeek (api-docs.deepseek.com, models & pricing): chat 8K, reasoner 64K maximum.
  'deepseek-chat': 8_192,
  'deepseek-reasoner': 65_536,
  // Moonshot Kimi: K2 output is bounded by the 256K context; 32K is the documented max_tokens default.
  'kimi-k2*': 32_768,
  'moonshot-v1-8k*': 4_096,
  'moonshot-v1-32k*': 16_384,
  'moonshot-v1-128k*': 65_536,
  // Zhipu GLM: 4.6 and later 128K, 4.5 96K.
  'glm-4.5*': 98_304,
  'glm-4.6*': 131_072,
  'glm-4.7*': 131_072,
  // Alibaba Qwen.
  'qwen3-coder-*': 65_536,
  'qwen3-max*': 65_536,
  'qwen-max*': 8_192,
  // Google Gemini.
  'gemini-2.0-flash*': 8_192,
  'gemini-2.5-*': 65_536,
  'gemini-3*': 65_536,
  // Anthropic Claude (docs.claude.com, models overview: max output). Claude 3.7 Sonnet is left out:
  // its 64K grows to 128K with a beta header the gateway passes through.
  'claude-opus-4-0': 32_000,
  'claude-opus-4-2025*': 32_000,
  'claude-opus-4-1*': 32_000,
  'claude-3-5-*': 8_192,
  'claude-3-haiku*': 4_096,
  'claude-3-opus*': 4_096,
  // OpenAI.
  'gpt-4o*': 16_384,
  'gpt-4.1*': 32_768,
  'gpt-5-chat*': 16_384,
  'gpt-5*': 128_000,
  'o3*': 100_000,
  'o4-mini*': 100_000,
};

/**
 * Whether a model takes OpenAI's `reasoning_effort`, with or without a vendor prefix: true for
 * reasoning models, false for chat models OpenAI answers 400 "Unsupported parameter" for (listed
 * first: `gpt-5-chat*` is not a `gpt-5*` reasoning model). Models in neither list are unknown.
 */
const REASONING_EFFORT: Readonly<Record<string, boolean>> = {
  'gpt-5-chat*': false,
  'gpt-4*': false,
  'chatgpt-4o*': false,
  'gpt-3.5*': false,
  'o1*': true,
  'o3*': true,
  'o4*': true,
  'gpt-5*': true,
  'gpt-oss*': true,
};
const reasoningEffort = createModelLookup(
  Object.fromEntries(
    Object.entries(REASONING_EFFORT).flatMap(([m, takes]) => [
      [m, takes],
      [`*/${m}`, takes],
    ]),
  ),
);

/** The model is known to take `reasoning_effort`. */
export function takesReasoningEffort(model: string): boolean {
  return reasoningEffort(model) === true;
}

/** The model is known to refuse `reasoning_effort` (unknown models, e.g. on vLLM, may take it). */
export function refusesReasoningEffort(model: string): boolean {
  return reasoningEffort(model) === false;
}

/** Claude releases before Opus 4.1: the 3.x family, Sonnet 4 and Opus 4. */
const BEFORE_OPUS_4_1 = {
  'claude-3*': true,
  'claude-sonnet-4-0': true,
  'claude-opus-4-0': true,
  'claude-sonnet-4-2025*': true,
  'claude-opus-4-2025*': true,
} as const;

/**
 * Claude models before 4.5: those and Opus 4.1. They have no structured outputs
 * (`output_config.format`), which Anthropic lists from Sonnet 4.5, Haiku 4.5 and Opus 4.5 on,
 * and would refuse it.
 */
const BEFORE_CLAUDE_4_5 = createModelLookup({ ...BEFORE_OPUS_4_1, 'claude-opus-4-1*': true });

/** Claude models that still take `temperature` beside `top_p`: before Opus 4.1. */
const BOTH_SAMPLING_PARAMETERS = createModelLookup(BEFORE_OPUS_4_1);

/**
 * The model takes Anthropic's structured outputs (`output_config.format`): a Claude model (with
 * or without a vendor prefix) from 4.5 on, or one the table does not know yet. Other models
 * behind an Anthropic-compatible endpoint (DeepSeek, Kimi, GLM) are not sent it.
 */
export function takesStructuredOutputs(model: string): boolean {
  return isClaude(model) && BEFORE_CLAUDE_4_5(claudeName(model)) !== true;
}

/**
 * The model refuses `temperature` and `top_p` together (400 "temperature and top_p cannot both
 * be specified for this model"): Claude from Opus 4.1 on (Anthropic's migration guide says so of
 * the 4.5 models; Opus 4.1 answers the same), or one the table does not know yet.
 */
export function refusesTemperatureWithTopP(model: string): boolean {
  return isClaude(model) && BOTH_SAMPLING_PARAMETERS(claudeName(model)) !== true;
}

/** A Claude model, with or without a vendor prefix (not another vendor's behind an Anthropic-compatible endpoint). */
export function isClaude(model: string): boolean {
  return claudeName(model).startsWith('claude');
}

/** Bedrock's vendor prefix, with its cross-region profile (`anthropic.claude-…`, `us.anthropic.claude-…`). */
const BEDROCK_ANTHROPIC = /^(?:[a-z]+\.)?anthropic\./;

/** The name without a routing prefix (`anthropic/`, `vendor/`) or Bedrock's vendor prefix. */
function claudeName(model: string): string {
  return model
    .slice(model.lastIndexOf('/') + 1)
    .toLowerCase()
    .replace(BEDROCK_ANTHROPIC, '');
}
