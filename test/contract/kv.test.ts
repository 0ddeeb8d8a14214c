import { Miniflare } from 'miniflare';
import { afterAll, beforeAll } from 'vitest';
import type { KVNamespace } from '../../src/runtime/workers/cloudflare-types.js';
import { createKvResponseStore } from '../../src/runtime/workers/edge/kv-response-store.js';
import { runResponseStoreContract } from './response-store.contract.js';

/**
 * The edge Worker's stored responses in KV, against the same contract as SQLite, Postgres, D1
 * and memory, on a local KV namespace in workerd reached through Miniflare's proxy. KV drops an
 * entry at its TTL by itself: the contract's pruning cases check only that it reads as gone.
 */
let mf: Miniflare;
let kv: KVNamespace;

beforeAll(async () => {
  mf = new Miniflare({
    modules: true,
    script: 'export default { fetch() { return new Response(null, { status: 404 }); } }',
    compatibilityDate: '2026-04-01',
    kvNamespaces: ['CACHE'],
  });
  kv = (await mf.getKVNamespace('CACHE')) as unknown as KVNamespace;
}, 60_000);
afterAll(async () => {
  await mf?.dispose();
});

async function emptied(): Promise<KVNamespace> {
  for (;;) {
    const page = await kv.list({});
    if (page.keys.length === 0) return kv;
    for (const key of page.keys) await kv.delete(key.name);
  }
}

runResponseStoreContract(
  'kv (the edge Worker)',
  async () => ({ store: createKvResponseStore(await emptied()), close: async () => {} }),
  undefined,
  { expiresByItself: true },
);
