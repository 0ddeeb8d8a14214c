import { describe, expect, it } from 'vitest';
import { batchByTurn } from '../../src/storage/redis/turn-batch.js';

describe('batchByTurn', () => {
  it('writes the items of one turn together, and a later item in a batch of its own', async () => {
    const writes: string[][] = [];
    const add = batchByTurn(async (items: readonly string[]) => {
      writes.push([...items]);
    });
    await Promise.all([add('a'), add('b'), add('c')]);
    await add('d');
    expect(writes).toEqual([['a', 'b', 'c'], ['d']]);
  });

  it("fails every item of a batch whose write fails, and not the next batch's", async () => {
    let fail = true;
    const add = batchByTurn(async () => {
      if (fail) throw new Error('database unreachable');
    });
    const first = [add('a'), add('b')];
    for (const p of first) await expect(p).rejects.toThrow('database unreachable');
    fail = false;
    await expect(add('c')).resolves.toBeUndefined();
  });
});
