import { describe, expect, it } from 'vitest';
import { assertModelName } from '../../src/http/validate-call.js';
import { MODEL_NAME_MAX } from '../../src/spec/model-name.js';

const refusal = (model: string) => {
  try {
    assertModelName(model);
    return null;
  } catch (err) {
    return (err as { code?: string; param?: string; message: string }).message;
  }
};

describe('model names', () => {
  it('takes real names, long ones and non-ASCII ones included', () => {
    for (const model of [
      'gpt-4o-mini',
      'accounts/fireworks/models/llama-v3p1-405b-instruct',
      'arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-5-sonnet-20241022-v2:0',
      '通义千问-max',
      'm'.repeat(MODEL_NAME_MAX),
      // 256 characters of two UTF-16 units each: 512 units, still 256 characters.
      '😀'.repeat(MODEL_NAME_MAX),
    ])
      expect(refusal(model), model.slice(0, 40)).toBeNull();
  });

  it('refuses control characters, NUL included, and names over 256 characters', () => {
    expect(refusal('gpt\u0000x')).toContain('control characters');
    expect(refusal('gpt\r\nHost: x')).toContain('control characters');
    expect(refusal('gpt\u0085')).toContain('control characters');
    expect(refusal('m'.repeat(MODEL_NAME_MAX + 1))).toContain('longer than 256 characters');
    expect(refusal(`${'😀'.repeat(MODEL_NAME_MAX)}x`)).toContain('longer than 256 characters');
    expect(refusal('x'.repeat(1_000_000))).toContain('longer than 256 characters');
    expect(refusal('gpt\ud800')).toContain('well-formed');
  });
});
