import type { ReasoningOptions } from '../../spec/chat.js';
import type { JsonObject } from '../../spec/json.js';
import { num, obj, str } from '../shared/json-read.js';

/**
 * Anthropic's `thinking` and `output_config.effort` → canonical reasoning options. An explicit
 * budget stays a budget; adaptive thinking (and an effort alone) leave it to the model.
 */
export function decodeAnthropicThinking(body: JsonObject): ReasoningOptions | undefined {
  const thinking = obj(body.thinking);
  const effort = anthropicEffort(str(obj(body.output_config)?.effort));
  const withEffort = effort ? { effort } : {};
  switch (thinking?.type) {
    case 'enabled': {
      const budget = num(thinking.budget_tokens);
      return budget !== undefined
        ? { budgetTokens: budget, ...withEffort }
        : { mode: 'adaptive', ...withEffort };
    }
    case 'adaptive':
      return { mode: 'adaptive', ...withEffort };
    case 'disabled':
      return { mode: 'disabled' };
    default:
      return effort ? { mode: 'adaptive', effort } : undefined;
  }
}

function anthropicEffort(value: string | undefined): ReasoningOptions['effort'] {
  if (value === 'low' || value === 'medium' || value === 'high') return value;
  // Anthropic's top effort has no OpenAI counterpart above `high`.
  return value === 'max' ? 'high' : undefined;
}

/** Canonical reasoning → Anthropic `thinking` and `output_config` fields. */
export function encodeAnthropicThinking(
  reasoning: ReasoningOptions | undefined,
  budget: number | undefined,
): { thinking?: JsonObject; output_config?: JsonObject } {
  if (reasoning?.mode === 'disabled') return { thinking: { type: 'disabled' } };
  if (reasoning?.mode === 'adaptive')
    return {
      thinking: { type: 'adaptive' },
      ...(reasoning.effort && reasoning.effort !== 'minimal'
        ? { output_config: { effort: reasoning.effort } }
        : {}),
    };
  return budget ? { thinking: { type: 'enabled', budget_tokens: budget } } : {};
}
