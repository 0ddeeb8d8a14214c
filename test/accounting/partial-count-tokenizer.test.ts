import { describe, expect, it } from 'vitest';
import { buildUsageRecord, type UsageEvent } from '../../src/pipeline/usage-tap.js';
import { createHeuristicTokenCounter, type TokenCounter } from '../../src/usage/token-counter.js';

/** A counter whose tokenizer is not loaded yet: it counts with the heuristic and notes loads. */
function coldCounter(): TokenCounter & { loads: number } {
  const heuristic = createHeuristicTokenCounter();
  const counter = {
    loads: 0,
    count(text: string, model: string | null, load = true) {
      if (load) counter.loads++;
      return heuristic.count(text, model);
    },
    countParts(parts: readonly string[], model: string | null, load = true) {
      if (load) counter.loads++;
      return heuristic.countParts(parts, model);
    },
    ready: () => Promise.resolve(),
  };
  return counter;
}

const accounting = (estimator: TokenCounter) => ({ prices: { lookup: () => null }, estimator });
const init = { requestId: 'r', operation: 'chat' };

function streamEvents(status: number, errorCode: string | null): UsageEvent[] {
  return [
    {
      type: 'decoded',
      model: 'gpt-4o-mini',
      stream: true,
      json: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Tell me a story.' }] },
    },
    {
      type: 'commit',
      channel: 'c',
      modelServed: 'gpt-4o-mini',
      modelRouted: 'gpt-4o-mini',
      upstreamKey: null,
      firstByteMs: 5,
    },
    { type: 'counted', usage: null, completionText: 'Once upon a time' },
    { type: 'end', status, errorCode, at: 100 },
  ];
}

// Loading the tokenizer holds the event loop for 150-300 ms: every stream in flight stalls.
describe('estimates of streams without usage', () => {
  it('a stream the client cut short is counted roughly, without loading the tokenizer', () => {
    const counter = coldCounter();
    const record = buildUsageRecord(init, 0, streamEvents(499, 'client_closed'), accounting(counter));
    expect(record).toMatchObject({ countSource: 'partial' });
    expect(record.usage?.completionTokens).toBeGreaterThan(0);
    expect(counter.loads).toBe(0);
  });

  it('a complete stream without usage still loads the tokenizer for the next counts', () => {
    const counter = coldCounter();
    const record = buildUsageRecord(init, 0, streamEvents(200, null), accounting(counter));
    expect(record).toMatchObject({ countSource: 'estimated-heuristic' });
    expect(counter.loads).toBeGreaterThan(0);
  });
});
