import { describe, expect, it } from 'vitest';
import { fromAnthropicToolId, toAnthropicToolId } from '../../src/providers/anthropic/tool-ids.js';

const anthropicId = /^[a-zA-Z0-9_-]+$/;

describe('tool call ids written for Anthropic', () => {
  it.each([
    'functions.get_weather:0',
    'call 1',
    'a_b.c',
    '工具:1',
    'sbid_x2e',
    'sbid_',
    `${'x'.repeat(40)}:9`,
  ])('%j fits Anthropic and reads back as it was', (id) => {
    const written = toAnthropicToolId(id);
    expect(written).toMatch(anthropicId);
    expect(fromAnthropicToolId(written)).toBe(id);
  });

  it('leaves ids Anthropic accepts alone', () => {
    for (const id of ['toolu_01A09q90qw90lq917835lq9', 'call_abc-123', 'sbid']) {
      expect(toAnthropicToolId(id)).toBe(id);
      expect(fromAnthropicToolId(id)).toBe(id);
    }
  });

  it('keeps a client id that only looks written by the gateway', () => {
    for (const id of ['sbid_a_b', 'sbid_x4', 'sbid_xzz', 'sbid_u12'])
      expect(fromAnthropicToolId(id)).toBe(id);
  });
});
