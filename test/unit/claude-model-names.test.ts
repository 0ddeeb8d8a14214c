import { describe, expect, it } from 'vitest';
import {
  isClaude,
  refusesTemperatureWithTopP,
  takesStructuredOutputs,
} from '../../src/providers/model-limits.js';

// Claude's own rules (structured outputs, sampling) go by the model name an Anthropic-format channel
// sends, which may carry a routing prefix (OpenRouter, a proxy) or Bedrock's vendor prefix.
describe('Claude model names', () => {
  it('knows Claude under a routing or Bedrock prefix, and no other vendor', () => {
    for (const name of [
      'claude-sonnet-4-5',
      'anthropic/claude-sonnet-4.5',
      'anthropic.claude-sonnet-4-5-20250929-v1:0',
      'us.anthropic.claude-sonnet-4-5-20250929-v1:0',
    ])
      expect(isClaude(name), name).toBe(true);
    for (const name of ['glm-4.6', 'kimi-k2-thinking', 'deepseek-chat', 'moonshotai/kimi-k2'])
      expect(isClaude(name), name).toBe(false);
  });

  it('tells the releases apart under a Bedrock prefix', () => {
    expect(takesStructuredOutputs('us.anthropic.claude-sonnet-4-5-20250929-v1:0')).toBe(true);
    expect(takesStructuredOutputs('anthropic.claude-3-5-sonnet-20240620-v1:0')).toBe(false);
    expect(refusesTemperatureWithTopP('anthropic.claude-opus-4-1-20250805-v1:0')).toBe(true);
    expect(refusesTemperatureWithTopP('anthropic.claude-sonnet-4-20250514-v1:0')).toBe(false);
    expect(refusesTemperatureWithTopP('claude-3-7-sonnet-20250219')).toBe(false);
  });
});
