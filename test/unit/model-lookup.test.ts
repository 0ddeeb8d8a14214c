import { describe, expect, it } from 'vitest';
import { createModelLookup } from '../../src/providers/shared/model-lookup.js';

describe('a model table lookup', () => {
  const lookup = createModelLookup({
    'gpt-4o*': 16_384,
    'gpt-4o-mini-tts': 2_000,
    'gpt-*': 4_096,
    o3: 100_000,
  });

  it('takes an exact name first, then the first glob in table order, and nothing for an unknown name', () => {
    expect(lookup('gpt-4o-mini-tts')).toBe(2_000);
    expect(lookup('gpt-4o-mini')).toBe(16_384);
    expect(lookup('gpt-4.1')).toBe(4_096);
    expect(lookup('o3')).toBe(100_000);
    expect(lookup('o3-mini')).toBeUndefined();
  });

  it('answers the same on every later ask, also after more distinct names than it remembers', () => {
    const names = Array.from({ length: 3_000 }, (_, i) =>
      i % 3 === 0 ? `gpt-4o-${i}` : i % 3 === 1 ? `gpt-${i}` : `other-${i}`,
    );
    const expected = (name: string) =>
      name.startsWith('gpt-4o') ? 16_384 : name.startsWith('gpt-') ? 4_096 : undefined;
    for (let round = 0; round < 2; round++)
      for (const name of names) expect(lookup(name), name).toBe(expected(name));
    expect(lookup('gpt-4o-mini')).toBe(16_384);
    expect(lookup('o3-mini')).toBeUndefined();
  });
});
