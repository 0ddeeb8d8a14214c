import type { ChatRequest, ReasoningOptions } from '../../spec/chat.js';
import type { JsonObject } from '../../spec/json.js';
import type { EncodeContext } from '../../spec/wire.js';
import { isClaude, refusesTemperatureWithTopP } from '../model-limits.js';
import { effortBudget } from '../shared/reasoning-budget.js';
import { encodeAnthropicThinking } from './thinking.js';

/** `max_tokens` when the client set none: room for the answer (and a thinking budget on top). */
export const DEFAULT_MAX_TOKENS = 8192;
/** Anthropic's smallest thinking budget (`budget_tokens` ≥ 1024). */
const MIN_THINKING_BUDGET = 1024;
/** With thinking on, Claude takes `top_p` from 0.95 to 1. */
const MIN_TOP_P_WITH_THINKING = 0.95;

/** The output, thinking and sampling fields of an Anthropic Messages body. */
export interface AnthropicGeneration {
  readonly max_tokens: number;
  readonly thinking?: JsonObject;
  readonly output_config?: JsonObject;
  readonly temperature?: number;
  readonly top_p?: number;
  readonly top_k?: number;
}

/**
 * A translated request's output cap, thinking and sampling, as Anthropic takes them together
 * (docs.claude.com, "Extended thinking": feature compatibility; "Migrating to Claude 4.5"):
 *
 * - **The client's output cap counts the thinking** (OpenAI `max_completion_tokens`, Responses
 *   `max_output_tokens`, Gemini `maxOutputTokens` all include reasoning), so a budget that does
 *   not fit under it becomes half of it, and no thinking at all when even 1024 tokens do not fit.
 *   Without a cap, `max_tokens` is the budget plus room for the answer, within the model's output
 *   limit. A budget of 0 is no thinking; one under Anthropic's 1024 is raised to it when the cap
 *   leaves as much again for the answer, else it is no thinking.
 * - On **Claude** (each of these is a 400 there; other vendors' models behind an
 *   Anthropic-compatible endpoint get what the client sent):
 *   - a forced tool call (`required`, or a named tool) takes no thinking: the call is what the
 *     client's program waits for, so the thinking is what is left out;
 *   - with thinking on, `top_k` is left out, `temperature` too unless it is 1, and `top_p` is
 *     raised to 0.95 if below;
 *   - from Opus 4.1 on, `temperature` or `top_p`, not both: one at its default (1) is left out,
 *     else `top_p` is.
 *
 * `thinkingPossible` false (a tool loop's last turn that another provider thought): no thinking
 * fields at all.
 */
export function anthropicGeneration(
  request: ChatRequest,
  context: Pick<EncodeContext, 'model' | 'outputLimit'>,
  thinkingPossible: boolean,
): AnthropicGeneration {
  const claude = isClaude(context.model);
  const forced =
    request.tools.length > 0 && (request.toolChoice === 'required' || typeof request.toolChoice === 'object');
  const asked = request.reasoning;
  const reasoning: ReasoningOptions | undefined =
    claude && forced && asked?.mode !== 'disabled' ? undefined : asked;
  const cap = request.maxTokens;
  // Adaptive thinking has no budget: the model decides.
  let budget = reasoning?.mode === undefined ? thinkingBudget(reasoning, cap) : undefined;
  let maxTokens: number;
  if (cap !== undefined) {
    maxTokens = cap;
    if (budget !== undefined && budget >= maxTokens) budget = budgetUnder(maxTokens);
  } else {
    maxTokens = budget ? budget + DEFAULT_MAX_TOKENS : DEFAULT_MAX_TOKENS;
    const limit = context.outputLimit;
    if (limit !== undefined && maxTokens > limit) {
      maxTokens = limit;
      if (budget !== undefined && budget >= maxTokens) budget = budgetUnder(maxTokens);
    }
  }
  // A budget that does not fit is no thinking (encodeAnthropicThinking sends none).
  const thinkingFields = thinkingPossible ? encodeAnthropicThinking(reasoning, budget) : {};
  const thinking = thinkingFields.thinking?.type;
  const thinkingOn = thinking === 'enabled' || thinking === 'adaptive';

  let temperature = request.temperature;
  let topP = request.topP;
  let topK = request.topK;
  if (claude && thinkingOn) {
    topK = undefined;
    if (temperature !== 1) temperature = undefined;
    if (topP !== undefined) topP = Math.min(1, Math.max(MIN_TOP_P_WITH_THINKING, topP));
  }
  if (temperature !== undefined && topP !== undefined && refusesTemperatureWithTopP(context.model)) {
    if (temperature === 1) temperature = undefined;
    else topP = undefined;
  }
  return {
    max_tokens: maxTokens,
    ...thinkingFields,
    ...(temperature !== undefined ? { temperature } : {}),
    ...(topP !== undefined ? { top_p: topP } : {}),
    ...(topK !== undefined ? { top_k: topK } : {}),
  };
}

/** The budget asked for (or its effort's), at least Anthropic's smallest; undefined: no thinking. */
function thinkingBudget(
  reasoning: ReasoningOptions | undefined,
  cap: number | undefined,
): number | undefined {
  const budget = reasoning?.budgetTokens ?? effortBudget(reasoning?.effort);
  if (budget === undefined || budget <= 0) return undefined;
  if (budget >= MIN_THINKING_BUDGET) return budget;
  // Raised to the minimum, it must not take what the client left for the answer.
  return cap === undefined || cap >= 2 * MIN_THINKING_BUDGET ? MIN_THINKING_BUDGET : undefined;
}

/** A thinking budget that leaves room for the answer under a cap: half of it, if that is enough. */
function budgetUnder(maxTokens: number): number | undefined {
  const budget = Math.max(MIN_THINKING_BUDGET, Math.floor(maxTokens / 2));
  return budget < maxTokens ? budget : undefined;
}
