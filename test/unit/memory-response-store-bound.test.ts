import { describe, expect, it } from 'vitest';
import { createMemoryResponseStore } from '../../src/storage/memory/memory-response-store.js';

const entry = (id: string, text: string) => ({
  id,
  owner: 'key-1',
  createdAt: 0,
  expiresAt: 1_000_000,
  response: { id, output_text: text },
  inputItems: [{ id: `${id}-in`, role: 'user', content: text }],
});

describe('stored responses in memory with a byte bound (an edge isolate without KV)', () => {
  it('drops the oldest conversations to keep the newest within the bound', async () => {
    const store = createMemoryResponseStore({ maxBytes: 2_000 });
    const text = 'x'.repeat(300);
    for (let n = 0; n < 10; n++) await store.put(entry(`resp_${n}`, text));
    expect(await store.get('key-1', 'resp_0', 1)).toBeNull();
    expect((await store.get('key-1', 'resp_9', 1))?.response.output_text).toBe(text);
    expect(await store.get('key-1', 'resp_8', 1)).not.toBeNull();
  });

  it('counts bytes, not characters: a conversation in Chinese weighs three bytes a character', async () => {
    const store = createMemoryResponseStore({ maxBytes: 2_000 });
    // 600 characters, over 1,800 bytes of UTF-8 twice over (response and input): more than the bound.
    await expect(store.put(entry('resp_cjk', '汉'.repeat(600)))).rejects.toThrow(/larger than the store/);
  });

  it('refuses one conversation larger than the whole bound, keeping the others', async () => {
    const store = createMemoryResponseStore({ maxBytes: 2_000 });
    await store.put(entry('resp_small', 'short'));
    await expect(store.put(entry('resp_huge', 'y'.repeat(5_000)))).rejects.toThrow(/larger than the store/);
    expect(await store.get('key-1', 'resp_small', 1)).not.toBeNull();
  });
});
