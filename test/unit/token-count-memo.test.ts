import { describe, expect, it } from 'vitest';
import { createCountMemo } from '../../src/runtime/node/token-count-memo.js';

describe('the token count memo', () => {
  it('remembers a count under the digest of its text, not the text', () => {
    const memo = createCountMemo({ maxEntries: 10, minChars: 8 });
    const text = 'a system prompt sent with every request';
    const key = memo.keyOf(text);
    expect(key).not.toBeNull();
    expect(key).not.toContain('system prompt');
    expect(memo.get(key as string)).toBeUndefined();
    memo.set(key as string, 9);
    expect(memo.get(memo.keyOf(`${text}`) as string)).toBe(9);
    expect(memo.get(memo.keyOf(`${text}.`) as string)).toBeUndefined();
  });

  it('does not remember texts shorter than its minimum', () => {
    const memo = createCountMemo({ maxEntries: 10, minChars: 8 });
    expect(memo.keyOf('short')).toBeNull();
    expect(memo.keyOf('long enough')).not.toBeNull();
  });

  it('holds at most its bound, forgetting the oldest texts first', () => {
    const memo = createCountMemo({ maxEntries: 16, minChars: 1 });
    const keys = Array.from({ length: 40 }, (_, i) => memo.keyOf(`text number ${i}`) as string);
    for (const [i, key] of keys.entries()) memo.set(key, i);
    const kept = keys.filter((key) => memo.get(key) !== undefined);
    expect(kept.length).toBeLessThanOrEqual(16);
    expect(kept.length).toBeGreaterThan(8);
    // The newest are kept; what was forgotten is older than all of them.
    expect(memo.get(keys[39] as string)).toBe(39);
    expect(kept).toEqual(keys.slice(keys.length - kept.length));
  });
});
