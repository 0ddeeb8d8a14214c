import type { ReasoningOptions } from '../../spec/chat.js';

/** Reasoning effort → thinking budget, for upstreams that only take a budget. */
export function effortBudget(effort: string | undefined): number | undefined {
  switch (effort) {
    case 'minimal':
      return 1024;
    case 'low':
      return 2048;
    case 'medium':
      return 8192;
    case 'high':
      return 24576;
    default:
      return undefined;
  }
}

/** Thinking budget → OpenAI-style effort, for upstreams that only take an effort. */
export function budgetEffort(budget: number): 'low' | 'medium' | 'high' {
  if (budget <= 2048) return 'low';
  if (budget <= 8192) return 'medium';
  return 'high';
}

/** OpenAI's efforts as the canonical ones: `xhigh` is the most there is (high); unknown ones none. */
export function asEffort(value: string | undefined): ReasoningOptions['effort'] {
  if (value === 'xhigh') return 'high';
  return value === 'minimal' || value === 'low' || value === 'medium' || value === 'high' ? value : undefined;
}
