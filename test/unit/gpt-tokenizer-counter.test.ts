import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createGptTokenizerCounter,
  TOKENIZER_CALL_CHARS,
  TOKENIZER_MAX_CHARS,
  TOKENIZER_SLICE_CHARS,
} from '../../src/runtime/node/gpt-tokenizer-counter.js';
import { heuristicTokens } from '../../src/usage/token-counter.js';

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
    expect(counter.countParts([system, '', question], 'gpt-4o', true, 'user-1')).toEqual({
      tokens: countTokens(system) + countTokens(question),
      method: 'tokenizer',
    });
  });

  it("tokenizes at most the bound of new text per count; a user's text counted before is remembered", async () => {
    // Distinct from any other test's text, so that nothing is remembered yet.
    const history = 'Earlier in this conversation we compared bridges and ferries. '.repeat(3_000);
    const latest = 'Now tell me about the tunnels under the harbour, one by one. '.repeat(1_500);
    expect(history.length + latest.length).toBeGreaterThan(TOKENIZER_MAX_CHARS);
    expect(history.length).toBeLessThan(TOKENIZER_MAX_CHARS);
    // What a counter that never saw them says of each, counted alone (within the bound).
    const other = createGptTokenizerCounter();
    await other.ready();
    const historyTokens = other.count(history, 'gpt-4o').tokens;
    const latestTokens = other.count(latest, 'gpt-4o').tokens;

    // A completion's text is counted, not remembered.
    counter.count(history, 'gpt-4o');
    // The history fits the bound; the latest turn would take it past: the heuristic counts it.
    expect(counter.countParts([history, latest], 'gpt-4o', true, 'user-1')).toEqual({
      tokens: historyTokens + heuristicTokens(latest),
      method: 'heuristic',
    });

    // The next turn resends the history: remembered, it leaves the whole bound to the new text.
    expect(counter.countParts([history, latest], 'gpt-4o', true, 'user-1')).toEqual({
      tokens: historyTokens + latestTokens,
      method: 'tokenizer',
    });
    // Another user's identical request is counted as the first one was.
    expect(counter.countParts([history, latest], 'gpt-4o', true, 'user-2').method).toBe('heuristic');
    // So is a count without a user: it remembers nothing.
    expect(counter.countParts([history, latest], 'gpt-4o').method).toBe('heuristic');
  });

  it('charges every text tokenized at least TOKENIZER_CALL_CHARS against the bound', () => {
    const calls = Math.floor(TOKENIZER_MAX_CHARS / TOKENIZER_CALL_CHARS);
    // As many one-letter texts as the bound allows calls: all tokenized.
    expect(counter.countParts(Array(calls).fill('a'), 'gpt-4o')).toEqual({
      tokens: calls,
      method: 'tokenizer',
    });
    // One more, and the last is left to the heuristic.
    expect(counter.countParts(Array(calls + 1).fill('a'), 'gpt-4o').method).toBe('heuristic');
  });

  it('a count that may not load the tokenizer leaves it unloaded', async () => {
    const cold = createGptTokenizerCounter();
    expect(cold.countParts(['Hello there, how are you today?'], 'gpt-4o', false).method).toBe('heuristic');
    // Nothing started the load meanwhile: still the heuristic after a turn of the event loop.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(cold.countParts(['Hello there, how are you today?'], 'gpt-4o', false).method).toBe('heuristic');
    // A count that may load it does.
    cold.countParts(['Hello there, how are you today?'], 'gpt-4o');
    await cold.ready();
    expect(cold.countParts(['Hello there, how are you today?'], 'gpt-4o', false).method).toBe('tokenizer');
  });
});
