import { describe, expect, it } from 'vitest';
import { createCountMemo } from '../../src/runtime/node/token-count-memo.js';

describe('the token count memo', () => {
  it('remembers a count under the digest of its user and text, not the text', () => {
    const memo = createCountMemo({ maxEntries: 10, minChars: 8 });
    const text = 'a system prompt sent with every request';
    const key = memo.keyOf(text, 'user-a') as string;
    expect(key).not.toContain('system prompt');
    expect(memo.get(key)).toBeUndefined();
    memo.set(key, 9);
    // The same text, built anew (another request's body), finds it.
    const again = ['a system prompt', 'sent with every request'].join(' ');
    expect(memo.get(memo.keyOf(again, 'user-a') as string)).toBe(9);
    expect(memo.get(memo.keyOf(`${again}.`, 'user-a') as string)).toBeUndefined();
  });

  it("keeps users apart: one user's texts are not remembered for another", () => {
    const memo = createCountMemo({ maxEntries: 10, minChars: 8 });
    const text = 'the confidential contract clause under negotiation';
    memo.set(memo.keyOf(text, 'user-a') as string, 12);
    expect(memo.get(memo.keyOf(text, 'user-b') as string)).toBeUndefined();
    // A user id that ends where another's text begins makes another key.
    memo.set(memo.keyOf('abcdefghij', 'u') as string, 3);
    expect(memo.get(memo.keyOf('bcdefghij', 'ua') as string)).toBeUndefined();
  });

  it('does not remember texts shorter than its minimum', () => {
    const memo = createCountMemo({ maxEntries: 10, minChars: 8 });
    expect(memo.keyOf('short', 'u')).toBeNull();
    expect(memo.keyOf('long enough', 'u')).not.toBeNull();
  });

  it('holds at most its bound, forgetting the least recently used first', () => {
    const memo = createCountMemo({ maxEntries: 16, minChars: 1 });
    const keys = Array.from({ length: 40 }, (_, i) => memo.keyOf(`text number ${i}`, 'u') as string);
    const systemPrompt = keys[0] as string;
    for (const [i, key] of keys.entries()) {
      memo.set(key, i);
      // One text is looked up with every request: it stays, however old.
      expect(memo.get(systemPrompt)).toBe(0);
    }
    const kept = keys.filter((key) => memo.get(key) !== undefined);
    expect(kept.length).toBeLessThanOrEqual(16);
    expect(kept.length).toBeGreaterThan(8);
    expect(kept[0]).toBe(systemPrompt);
    expect(memo.get(keys[39] as string)).toBe(39);
    // Apart from it, what was forgotten is older than everything kept.
    expect(kept.slice(1)).toEqual(keys.slice(keys.length - kept.length + 1));
  });
});
