import { describe, expect, it } from 'vitest';
import { checkCoreBundle } from '../../scripts/check-core-bundle.mjs';

/** What `npm run check:bundle` checks, in the suite so CI runs it. */
describe('the Workers bundle check', () => {
  it('the core (composition root, gateway, memory stores) bundles with no Node in it and no tokenizer', async () => {
    const report = await checkCoreBundle();
    expect(report.problems).toEqual([]);
    // gpt-tokenizer alone is ~4 MB; the core without it is well under 1.5 MB.
    expect(report.bytes).toBeLessThan(1_500_000);
  });

  it('a core file that reaches Node fails the check, naming the import chain', async () => {
    const report = await checkCoreBundle(['test/fixtures/bundle/leaks-node.ts']);
    expect(report.problems).toContainEqual(
      expect.stringMatching(
        /Node builtin "node:crypto": <workers-entry>\s+→ test\/fixtures\/bundle\/leaks-node\.ts\s+→ src\/runtime\/node\/bootstrap\.ts\s+→ src\/runtime\/node\/sha256\.ts\s+→ node:crypto/,
      ),
    );
    expect(report.problems.some((p) => p.startsWith('gpt-tokenizer is bundled'))).toBe(true);
  });
});
