import { describe, expect, it } from 'vitest';
import { createAuthenticator } from '../../src/auth/authenticator.js';
import { createMemoryChangeFeed } from '../../src/storage/memory/memory-change-feed.js';
import { createMemoryStorage } from '../../src/storage/memory/memory-storage.js';
import { DEFAULT_USER_ID } from '../../src/storage/ports.js';
import { newKey } from '../contract/key-store.contract.js';

const HASH = 'c'.repeat(64);

/**
 * Key `k` in a memory storage, and an authenticator on it whose first lookup reads the key, says
 * so (`read`), then stalls (a slow database) until `release()`.
 */
async function firstLookupStalls() {
  const storage = createMemoryStorage();
  const changes = createMemoryChangeFeed();
  await storage.keys.create(newKey({ id: 'k', hash: HASH, userId: DEFAULT_USER_ID }));
  let release: () => void = () => {};
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  let markRead: () => void = () => {};
  const read = new Promise<void>((resolve) => {
    markRead = resolve;
  });
  let stalls = 1;
  const keys = {
    ...storage.keys,
    async findByHash(hash: string) {
      const found = await storage.keys.findByHash(hash);
      markRead();
      if (stalls-- > 0) await gate;
      return found;
    },
  };
  const authenticate = createAuthenticator(
    { keys, users: storage.users },
    { cacheTtlMs: 60_000, maxEntries: 100, now: () => 1_000, hashKey: () => HASH, changes },
  );
  return { storage, changes, authenticate, read, release };
}

describe('client-key cache and the change feed', () => {
  it('does not keep a lookup that a revoke overtook while it was reading the store', async () => {
    // The first lookup reads the key, then stalls (a slow database) until the revoke has landed.
    const { storage, changes, authenticate, read, release } = await firstLookupStalls();
    const inFlight = authenticate('secret', null);
    await read;
    await storage.keys.revoke('k', 1_000);
    await changes.publish({ kind: 'key', id: 'k', hash: HASH });
    release();
    // It answers with what it read; the next request must not be served from that stale read.
    await expect(inFlight).resolves.toMatchObject({ keyId: 'k' });
    await expect(authenticate('secret', null)).rejects.toMatchObject({ code: 'key_revoked' });
  });

  it('keeps serving a checked key while the database is unreachable, but not one a notice dropped', async () => {
    const storage = createMemoryStorage();
    const changes = createMemoryChangeFeed();
    await storage.keys.create(newKey({ id: 'k', hash: HASH, userId: DEFAULT_USER_ID }));
    let down = false;
    const keys = {
      ...storage.keys,
      async findByHash(hash: string) {
        if (down) throw new Error('connect ECONNREFUSED');
        return storage.keys.findByHash(hash);
      },
    };
    let now = 1_000;
    const authenticate = createAuthenticator(
      { keys, users: storage.users },
      { cacheTtlMs: 5_000, maxEntries: 100, now: () => now, hashKey: () => HASH, changes },
    );
    await expect(authenticate('secret', null)).resolves.toMatchObject({ keyId: 'k' });
    down = true;
    now += 60_000;
    // Past its cache time, the lookup fails: the key's last answer stands.
    await expect(authenticate('secret', null)).resolves.toMatchObject({ keyId: 'k' });
    await changes.publish({ kind: 'key', id: 'k', hash: HASH });
    // A change was announced: the last answer may be wrong, and the database cannot say.
    await expect(authenticate('secret', null)).rejects.toThrow('ECONNREFUSED');
  });

  it("drops every cached key of a user on that user's notice, and only those", async () => {
    const storage = createMemoryStorage();
    const changes = createMemoryChangeFeed();
    await storage.users.create({
      id: 'u2',
      name: 'u2',
      email: null,
      notes: null,
      enabled: true,
      createdAt: 1,
      updatedAt: 1,
    });
    await storage.keys.create(newKey({ id: 'mine', hash: 'a'.repeat(64), userId: 'u2' }));
    await storage.keys.create(newKey({ id: 'other', hash: 'b'.repeat(64), userId: DEFAULT_USER_ID }));
    let reads = 0;
    const keys = {
      ...storage.keys,
      findByHash(hash: string) {
        reads++;
        return storage.keys.findByHash(hash);
      },
    };
    const authenticate = createAuthenticator(
      { keys, users: storage.users },
      { cacheTtlMs: 60_000, maxEntries: 100, now: () => 1_000, hashKey: (s) => s, changes },
    );
    await authenticate('a'.repeat(64), null);
    await authenticate('b'.repeat(64), null);
    await storage.users.update('u2', { enabled: false }, 2);
    await changes.publish({ kind: 'user', id: 'u2' });
    await expect(authenticate('a'.repeat(64), null)).rejects.toMatchObject({ code: 'user_disabled' });
    await authenticate('b'.repeat(64), null);
    expect(reads).toBe(3); // the other user's key was still cached
  });

  it('checks every cached key again after a resync, which follows notices a shared feed may have lost', async () => {
    const storage = createMemoryStorage();
    const changes = createMemoryChangeFeed();
    await storage.keys.create(newKey({ id: 'k', hash: HASH, userId: DEFAULT_USER_ID }));
    const authenticate = createAuthenticator(
      { keys: storage.keys, users: storage.users },
      { cacheTtlMs: 60_000, maxEntries: 100, now: () => 1_000, hashKey: () => HASH, changes },
    );
    await authenticate('secret', null);
    // Revoked by another instance whose notice never arrived (the subscriber was cut off).
    await storage.keys.revoke('k', 1_000);
    await expect(authenticate('secret', null)).resolves.toMatchObject({ keyId: 'k' });
    await changes.publish({ kind: 'resync' });
    await expect(authenticate('secret', null)).rejects.toMatchObject({ code: 'key_revoked' });
  });

  it('keeps a checked key as the fallback across a resync while the database is unreachable', async () => {
    // A network blip hits Redis and the database together; Redis comes back first (a resync).
    const storage = createMemoryStorage();
    const changes = createMemoryChangeFeed();
    await storage.keys.create(newKey({ id: 'k', hash: HASH, userId: DEFAULT_USER_ID }));
    let down = false;
    let reads = 0;
    const keys = {
      ...storage.keys,
      async findByHash(hash: string) {
        reads++;
        if (down) throw new Error('connect ECONNREFUSED');
        return storage.keys.findByHash(hash);
      },
    };
    const authenticate = createAuthenticator(
      { keys, users: storage.users },
      { cacheTtlMs: 60_000, maxEntries: 100, now: () => 1_000, hashKey: () => HASH, changes },
    );
    await authenticate('secret', null);
    down = true;
    await changes.publish({ kind: 'resync' });
    // The resync makes the database be asked again; it cannot answer: the last answer stands.
    await expect(authenticate('secret', null)).resolves.toMatchObject({ keyId: 'k' });
    expect(reads).toBe(2);
    // Revoked meanwhile; once the database answers, the key is checked again (within its TTL).
    await storage.keys.revoke('k', 1_000);
    down = false;
    await expect(authenticate('secret', null)).rejects.toMatchObject({ code: 'key_revoked' });
  });

  it('still drops a key announced as changed after a resync, database or not', async () => {
    const storage = createMemoryStorage();
    const changes = createMemoryChangeFeed();
    await storage.keys.create(newKey({ id: 'k', hash: HASH, userId: DEFAULT_USER_ID }));
    let down = false;
    const keys = {
      ...storage.keys,
      async findByHash(hash: string) {
        if (down) throw new Error('connect ECONNREFUSED');
        return storage.keys.findByHash(hash);
      },
    };
    const authenticate = createAuthenticator(
      { keys, users: storage.users },
      { cacheTtlMs: 60_000, maxEntries: 100, now: () => 1_000, hashKey: () => HASH, changes },
    );
    await authenticate('secret', null);
    down = true;
    await changes.publish({ kind: 'resync' });
    await changes.publish({ kind: 'key', id: 'k', hash: HASH });
    await expect(authenticate('secret', null)).rejects.toThrow('ECONNREFUSED');
  });

  // A database that hangs rather than refuses (a network drop): each request whose cache entry had
  // expired went back to it and waited out the connect timeout (5 s) before taking the last answer.
  it('answers a checked key without waiting out a database that hangs, and asks it once at a time', async () => {
    const storage = createMemoryStorage();
    await storage.keys.create(newKey({ id: 'k', hash: HASH, userId: DEFAULT_USER_ID }));
    let hung = false;
    let reads = 0;
    const keys = {
      ...storage.keys,
      async findByHash(hash: string) {
        reads++;
        if (hung) return new Promise<never>(() => {});
        return storage.keys.findByHash(hash);
      },
    };
    let now = 1_000;
    const authenticate = createAuthenticator(
      { keys, users: storage.users },
      { cacheTtlMs: 5_000, maxEntries: 100, now: () => now, hashKey: () => HASH, staleAfterMs: 20 },
    );
    await authenticate('secret', null);
    hung = true;
    now += 10_000;
    // Each of these would wait for ever on the lookup (the test's timeout) if it waited for it.
    const answers = await Promise.all(Array.from({ length: 5 }, () => authenticate('secret', null)));
    expect(answers.map((p) => p.keyId)).toEqual(['k', 'k', 'k', 'k', 'k']);
    await expect(authenticate('secret', null)).resolves.toMatchObject({ keyId: 'k' });
    // One lookup for all of them: the hung one is joined, not started again per request.
    expect(reads).toBe(2);
  });

  it('a key never checked before still waits for the database, and learns its answer', async () => {
    const storage = createMemoryStorage();
    await storage.keys.create(newKey({ id: 'k', hash: HASH, userId: DEFAULT_USER_ID }));
    let reads = 0;
    let release: () => void = () => {};
    const slow = new Promise<void>((resolve) => {
      release = resolve;
    });
    const keys = {
      ...storage.keys,
      async findByHash(hash: string) {
        reads++;
        await slow;
        return storage.keys.findByHash(hash);
      },
    };
    const authenticate = createAuthenticator(
      { keys, users: storage.users },
      { cacheTtlMs: 5_000, maxEntries: 100, now: () => 1_000, hashKey: () => HASH, staleAfterMs: 20 },
    );
    const both = Promise.all([authenticate('secret', null), authenticate('secret', null)]);
    release();
    expect((await both).map((p) => p.keyId)).toEqual(['k', 'k']);
    expect(reads).toBe(1);
  });

  it('a request after a revoke notice does not take the answer of a lookup that began before it', async () => {
    const { storage, changes, authenticate, read, release } = await firstLookupStalls();
    const inFlight = authenticate('secret', null);
    await read;
    await storage.keys.revoke('k', 1_000);
    await changes.publish({ kind: 'key', id: 'k', hash: HASH });
    const after = authenticate('secret', null);
    release();
    await inFlight;
    await expect(after).rejects.toMatchObject({ code: 'key_revoked' });
  });

  it('does not join a lookup that never settles (its I/O cut off), but asks the database again', async () => {
    const storage = createMemoryStorage();
    await storage.keys.create(newKey({ id: 'k', hash: HASH, userId: DEFAULT_USER_ID }));
    let cutOff = false;
    const keys = {
      ...storage.keys,
      async findByHash(hash: string) {
        if (cutOff) {
          cutOff = false;
          return new Promise<never>(() => {});
        }
        return storage.keys.findByHash(hash);
      },
    };
    let now = 1_000;
    const authenticate = createAuthenticator(
      { keys, users: storage.users },
      { cacheTtlMs: 5_000, maxEntries: 100, now: () => now, hashKey: () => HASH, staleAfterMs: 20 },
    );
    await authenticate('secret', null);
    now += 10_000;
    cutOff = true;
    // Its lookup never settles; it takes the last answer.
    await expect(authenticate('secret', null)).resolves.toMatchObject({ keyId: 'k' });
    // Revoked where no notice tells (the CLI on the database file).
    await storage.keys.revoke('k', now);
    now += 1_000;
    // The next request starts a lookup of its own, which the database answers: joining the first,
    // it would have waited on it and taken the last answer again.
    await expect(authenticate('secret', null)).rejects.toMatchObject({ code: 'key_revoked' });
  });

  it('a request whose last answer a notice dropped while it waited on a hung database fails, rather than wait for ever', async () => {
    const storage = createMemoryStorage();
    const changes = createMemoryChangeFeed();
    await storage.keys.create(newKey({ id: 'k', hash: HASH, userId: DEFAULT_USER_ID }));
    let hung = false;
    let asked: () => void = () => {};
    const keys = {
      ...storage.keys,
      async findByHash(hash: string) {
        if (!hung) return storage.keys.findByHash(hash);
        asked();
        return new Promise<never>(() => {});
      },
    };
    let now = 1_000;
    const authenticate = createAuthenticator(
      { keys, users: storage.users },
      { cacheTtlMs: 5_000, maxEntries: 100, now: () => now, hashKey: () => HASH, changes, staleAfterMs: 30 },
    );
    await authenticate('secret', null);
    hung = true;
    now += 10_000;
    const lookupStarted = new Promise<void>((resolve) => {
      asked = resolve;
    });
    const waiting = authenticate('secret', null);
    await lookupStarted;
    // An admin edits the key (its limits, say): the notice drops its entry.
    await changes.publish({ kind: 'key', id: 'k', hash: HASH });
    await expect(waiting).rejects.toMatchObject({ code: 'storage_unavailable' });
  });

  it('keeps the last answer of a key whose entry was evicted while its request waited', async () => {
    const storage = createMemoryStorage();
    const GOOD = 'a'.repeat(64);
    await storage.keys.create(newKey({ id: 'k', hash: GOOD, userId: DEFAULT_USER_ID }));
    let stalled = false;
    const keys = {
      ...storage.keys,
      async findByHash(hash: string) {
        if (hash === GOOD && stalled) return new Promise<never>(() => {});
        return storage.keys.findByHash(hash);
      },
    };
    let now = 1_000;
    const authenticate = createAuthenticator(
      { keys, users: storage.users },
      {
        cacheTtlMs: 5_000,
        maxEntries: 2,
        now: () => now,
        hashKey: (secret) => (secret === 'good' ? GOOD : secret.padEnd(64, '0')),
        staleAfterMs: 30,
      },
    );
    await authenticate('good', null);
    stalled = true;
    now += 10_000;
    const waiting = authenticate('good', null);
    // Unknown keys' answers fill the cache and push the waiting key's entry out.
    await Promise.allSettled([authenticate('bad1', null), authenticate('bad2', null)]);
    await expect(waiting).resolves.toMatchObject({ keyId: 'k' });
  });

  it('an answer a late lookup read before a revoke does not replace the one a later lookup found', async () => {
    const storage = createMemoryStorage();
    await storage.keys.create(newKey({ id: 'k', hash: HASH, userId: DEFAULT_USER_ID }));
    let slow = false;
    let releaseSlow: () => void = () => {};
    let slowSettled: () => void = () => {};
    const settled = new Promise<void>((resolve) => {
      slowSettled = resolve;
    });
    const keys = {
      ...storage.keys,
      async findByHash(hash: string) {
        const found = await storage.keys.findByHash(hash);
        if (slow) {
          slow = false;
          await new Promise<void>((resolve) => {
            releaseSlow = resolve;
          });
          setImmediate(slowSettled);
        }
        return found;
      },
    };
    let now = 1_000;
    const authenticate = createAuthenticator(
      { keys, users: storage.users },
      { cacheTtlMs: 60_000, maxEntries: 100, now: () => now, hashKey: () => HASH, staleAfterMs: 20 },
    );
    await authenticate('secret', null);
    now += 61_000;
    slow = true;
    // Its lookup reads the key and answers late: the request takes the last answer.
    await expect(authenticate('secret', null)).resolves.toMatchObject({ keyId: 'k' });
    // Revoked where no notice tells (the CLI on the database file).
    await storage.keys.revoke('k', now);
    now += 30;
    // A new lookup reads the revoke.
    await expect(authenticate('secret', null)).rejects.toMatchObject({ code: 'key_revoked' });
    releaseSlow();
    await settled;
    await expect(authenticate('secret', null)).rejects.toMatchObject({ code: 'key_revoked' });
  });

  // A database that hangs (a dropped network): a key with no last answer (never checked here, or
  // dropped by a notice before the request came) waited on a lookup that never settled, for as
  // long as the hung connection lasted, instead of being refused.
  it('a key with no last answer is refused once a hung database has not answered in time', async () => {
    const storage = createMemoryStorage();
    const changes = createMemoryChangeFeed();
    await storage.keys.create(newKey({ id: 'k', hash: HASH, userId: DEFAULT_USER_ID }));
    await storage.keys.create(newKey({ id: 'new', hash: 'd'.repeat(64), userId: DEFAULT_USER_ID }));
    let hung = false;
    const keys = {
      ...storage.keys,
      async findByHash(hash: string) {
        if (hung) return new Promise<never>(() => {});
        return storage.keys.findByHash(hash);
      },
    };
    const authenticate = createAuthenticator(
      { keys, users: storage.users },
      {
        cacheTtlMs: 5_000,
        maxEntries: 100,
        now: () => 1_000,
        hashKey: (s) => (s === 'secret' ? HASH : 'd'.repeat(64)),
        changes,
        staleAfterMs: 20,
        firstLookupMs: 50,
      },
    );
    await authenticate('secret', null);
    hung = true;
    await changes.publish({ kind: 'key', id: 'k', hash: HASH });
    const within = <T>(answer: Promise<T>) =>
      Promise.race([
        answer.then(
          () => 'served',
          (err: { code?: string }) => err.code,
        ),
        new Promise((resolve) => setTimeout(() => resolve('still waiting'), 1_000)),
      ]);
    expect(await within(authenticate('secret', null))).toBe('storage_unavailable');
    expect(await within(authenticate('other-secret', null))).toBe('storage_unavailable');
  });
});
