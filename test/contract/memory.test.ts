import { createMemoryChangeFeed } from '../../src/storage/memory/memory-change-feed.js';
import { createMemoryCounterStore } from '../../src/storage/memory/memory-counters.js';
import { createMemoryResponseStore } from '../../src/storage/memory/memory-response-store.js';
import { createMemoryStorage } from '../../src/storage/memory/memory-storage.js';
import { runChangeFeedContract } from './change-feed.contract.js';
import { runCounterStoreContract } from './counter-store.contract.js';
import { runResponseStoreContract } from './response-store.contract.js';
import { runStorageContract } from './storage.contract.js';

// Process-local: the "other instance" of a memory store is the same store (one process).
runStorageContract('memory', async () => createMemoryStorage());
runCounterStoreContract('memory', async (clock) => {
  const store = createMemoryCounterStore({ now: () => clock.now });
  return { store, peer: () => store, close: async () => {} };
});
runChangeFeedContract('memory', async () => {
  const feed = createMemoryChangeFeed();
  return { store: feed, peer: () => feed, close: () => feed.close() };
});
runResponseStoreContract('memory', async () => ({
  store: createMemoryResponseStore(),
  close: async () => {},
}));
