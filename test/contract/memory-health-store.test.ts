import { createMemoryHealthStore } from '../../src/router/health/memory-health-store.js';
import { runHealthStoreContract } from './health-store-contract.js';

runHealthStoreContract('memory', async (settings, now) => {
  const store = createMemoryHealthStore(settings, now);
  // One process: the "other handle" a shared backend would give is the same instance.
  return { store, peer: store };
});
