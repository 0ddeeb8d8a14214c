import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { describe, expect, it, vi } from 'vitest';
import { createHealthMirror, type HealthSnapshot } from '../../src/storage/redis/redis-health-mirror.js';
import { createRedisHealthStore } from '../../src/storage/redis/redis-health-store.js';
import { TEST_BREAKER_SETTINGS } from '../support/breaker-settings.js';
import { freshRedisPrefix, redisUrl } from '../support/services.js';

const server = await redisUrl('the Redis health mirror');
const HOUR = 3_600_000;
const rejected = { kind: 'key-rejected', reason: 'HTTP 401' } as const;
const id = (name: string) => JSON.stringify(['k', 'chan', name]);

/** A store and a peer on one fresh prefix; the store's copy is refreshed only by what is under test. */
async function pair(url: string, resyncMs = HOUR) {
  const fresh = freshRedisPrefix(url);
  const [a, b, subA, subB] = [new Redis(url), new Redis(url), new Redis(url), new Redis(url)];
  const settings = TEST_BREAKER_SETTINGS;
  const peer = createRedisHealthStore({ client: b, prefix: fresh.prefix, settings, subscriber: subB });
  const open = () =>
    createRedisHealthStore({ client: a, prefix: fresh.prefix, settings, subscriber: subA, resyncMs });
  return {
    a,
    b,
    subA,
    peer,
    open,
    prefix: fresh.prefix,
    async close() {
      peer.close();
      for (const c of [a, b, subA, subB]) c.disconnect();
      await fresh.drop();
    },
  };
}

describe.skipIf(!server)('redis health mirror', () => {
  const url = server ?? '';

  it('a snapshot that fails (Redis not ready yet) is tried again until the copy is synced', async () => {
    const sub = new Redis(url);
    let calls = 0;
    const snapshot = async (): Promise<HealthSnapshot> => {
      calls++;
      if (calls === 1) throw new Error('Stream isn\u2019t writeable and enableOfflineQueue options is false');
      return { seq: 0, epoch: '', records: [] };
    };
    const mirror = createHealthMirror({
      subscriber: sub,
      channel: `mirror-test:${Date.now()}`,
      snapshot,
      resyncMs: HOUR,
      retryMs: 10,
    });
    try {
      await vi.waitFor(() => expect(mirror.getManyNow(['x'])).toEqual(new Map()));
      expect(calls).toBe(2);
    } finally {
      mirror.close();
      sub.disconnect();
    }
  });

  it('a failed snapshot is tried again at once when the main connection comes back', async () => {
    const sub = new Redis(url);
    let calls = 0;
    const snapshot = async (): Promise<HealthSnapshot> => {
      calls++;
      if (calls === 1) throw new Error('the main connection is not ready yet');
      return { seq: 0, epoch: '', records: [] };
    };
    const mirror = createHealthMirror({
      subscriber: sub,
      channel: `mirror-test:${Date.now()}`,
      snapshot,
      resyncMs: HOUR,
      retryMs: HOUR,
    });
    try {
      await vi.waitFor(() => expect(calls).toBe(1));
      expect(mirror.getManyNow(['x'])).toBeUndefined();
      mirror.refresh();
      await vi.waitFor(() => expect(mirror.getManyNow(['x'])).toEqual(new Map()));
    } finally {
      mirror.close();
      sub.disconnect();
    }
  });

  it('a reconnect during a snapshot starts a fresh one instead of waiting on the stale one', async () => {
    const sub = new Redis(url);
    const pending: ((s: HealthSnapshot) => void)[] = [];
    const snapshot = () => new Promise<HealthSnapshot>((resolve) => pending.push(resolve));
    const mirror = createHealthMirror({
      subscriber: sub,
      channel: `mirror-test:${Date.now()}`,
      snapshot,
      resyncMs: HOUR,
      retryMs: HOUR,
    });
    try {
      await vi.waitFor(() => expect(pending).toHaveLength(1));
      const back = new Promise((resolve) => sub.once('ready', resolve));
      sub.disconnect(true);
      await back;
      await vi.waitFor(() => expect(pending).toHaveLength(2));
      pending[0]?.({ seq: 0, epoch: '', records: [] });
      pending[1]?.({ seq: 0, epoch: '', records: [] });
      await vi.waitFor(() => expect(mirror.getManyNow(['x'])).toEqual(new Map()));
    } finally {
      mirror.close();
      sub.disconnect();
    }
  });

  it('a message that skips a number (one was lost) makes the copy read Redis again', async () => {
    const { subA, peer, open, prefix, close } = await pair(url);
    const store = open();
    const [first, missed, after] = [id('first'), id('missed'), id('after')];
    const heard = () => [...(store.getManyNow?.([first, missed, after])?.keys() ?? [])].sort();
    try {
      await peer.apply(first, rejected);
      await vi.waitFor(() => expect(heard()).toEqual([first]));
      // The subscription stops delivering without closing; a write is missed meanwhile.
      await subA.unsubscribe(`${prefix}health:writes`);
      await peer.apply(missed, rejected);
      await subA.subscribe(`${prefix}health:writes`);
      await peer.apply(after, rejected);
      await vi.waitFor(() => expect(heard()).toEqual([after, first, missed].sort()));
    } finally {
      store.close();
      await close();
    }
  });

  it('a subscription that silently stops delivering is noticed at the next periodic read and reconnected', async () => {
    const { subA, peer, open, prefix, close } = await pair(url, 20);
    const store = open();
    const [first, later] = [id('first'), id('later')];
    try {
      await peer.apply(first, rejected);
      await vi.waitFor(() => expect(store.getManyNow?.([first])?.has(first)).toBe(true));
      const reconnected = new Promise((resolve) => subA.once('ready', resolve));
      await subA.unsubscribe(`${prefix}health:writes`);
      await peer.apply(later, rejected);
      await reconnected;
    } finally {
      store.close();
      await close();
    }
  });

  it('after the write counter is reset (FLUSHDB, eviction), new writes still reach the copy', async () => {
    const { b, peer, open, prefix, close } = await pair(url);
    const [old, fresh] = [id('old'), id('fresh')];
    try {
      for (let i = 0; i < 3; i++) await peer.apply(id(`n${i}`), rejected);
      const store = open();
      try {
        await peer.apply(old, rejected);
        await vi.waitFor(() => expect(store.getManyNow?.([old])?.has(old)).toBe(true));
        await b.del(`${prefix}health:seq`);
        await peer.apply(fresh, rejected);
        await vi.waitFor(() => expect(store.getManyNow?.([fresh])?.has(fresh)).toBe(true));
      } finally {
        store.close();
      }
    } finally {
      await close();
    }
  });

  it('a write succeeds when the ACL user may not publish on the health channel', async () => {
    const port = await freePort();
    const child = spawn('redis-server', ['--port', String(port), '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    const admin = new Redis(port, '127.0.0.1', { retryStrategy: (n) => (n > 50 ? null : 50) });
    admin.on('error', () => {});
    try {
      await admin.ping();
      await admin.acl('SETUSER', 'sb', 'on', '>pw', '~*', '&other', '+@all');
      const client = new Redis({ port, host: '127.0.0.1', username: 'sb', password: 'pw' });
      try {
        const store = createRedisHealthStore({ client, prefix: 'p:', settings: TEST_BREAKER_SETTINGS });
        const key = id('acl');
        await store.apply(key, rejected);
        expect((await store.get(key))?.scope).toBe('key');
      } finally {
        client.disconnect();
      }
    } finally {
      admin.disconnect();
      child.kill();
    }
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}
