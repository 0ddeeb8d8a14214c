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

describe('counting the parts of a request', () => {
  it('counts each part apart and sums them', () => {
    const system = 'You are a careful assistant. Answer in one short paragraph, and cite your sources.';
    const question = 'Which of the two bridges over the river is older, and who built it?';
    expect(counter.countParts([system, '', question], 'gpt-4o')).toEqual({
      tokens: countTokens(system) + countTokens(question),
      method: 'tokenizer',
    });
  });

  it('tokenizes at most the bound of new text per count; text counted before is remembered', async () => {
    // Distinct from any other test's text, so that nothing is remembered yet.
    const history = 'Earlier in this conversation we compared bridges and ferries. '.repeat(3_000);
    const latest = 'Now tell me about the tunnels under the harbour, one by one. '.repeat(1_500);
    expect(history.length + latest.length).toBeGreaterThan(TOKENIZER_MAX_CHARS);
    expect(history.length).toBeLessThan(TOKENIZER_MAX_CHARS);

    // The history fits the bound; the latest turn would take it past: the heuristic counts it.
    const first = counter.countParts([history, latest], 'gpt-4o');
    expect(first.method).toBe('heuristic');

    // The next turn resends the history: remembered, it leaves the whole bound to the new text.
    const second = counter.countParts([history, latest], 'gpt-4o');
    // What a counter that never saw them says of each, counted alone (within the bound).
    const other = createGptTokenizerCounter();
    await other.ready();
    const alone = other.count(history, 'gpt-4o').tokens + other.count(latest, 'gpt-4o').tokens;
    expect(second).toEqual({ tokens: alone, method: 'tokenizer' });
  });
});
