import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createGptTokenizerCounter,
  TOKENIZER_MAX_CHARS,
  TOKENIZER_SLICE_CHARS,
} from '../../src/runtime/node/gpt-tokenizer-counter.js';

const counter = createGptTokenizerCounter();
beforeAll(() => counter.ready());

describe('the Node token counter', () => {
  it('counts prose in slices within 1% of one whole-text count', () => {
    const prose = 'The quick brown fox jumps over the lazy dog, again and again. '.repeat(400);
    expect(prose.length).toBeGreaterThan(TOKENIZER_SLICE_CHARS * 10);
    const counted = counter.count(prose, 'gpt-4o');
    expect(counted.method).toBe('tokenizer');
    const whole = countTokens(prose);
    expect(Math.abs(counted.tokens - whole) / whole).toBeLessThan(0.01);
  });

  it('counts a long run without spaces with the tokenizer, slice by slice', () => {
    // One 100k-character "word" (base64, minified code) is quadratic for BPE as a single piece.
    const counted = counter.count('QUJD'.repeat(25_000), 'gpt-4o');
    expect(counted.method).toBe('tokenizer');
    expect(counted.tokens).toBeGreaterThan(10_000);
  });

  it('hands texts beyond the bound to the heuristic, and says so', () => {
    const counted = counter.count('x'.repeat(TOKENIZER_MAX_CHARS + 1), 'gpt-4o');
    expect(counted.method).toBe('heuristic');
    expect(counted.tokens).toBeGreaterThan(0);
  });
});
