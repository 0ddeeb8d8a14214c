import { connect, createServer, type Server, type Socket } from 'node:net';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Storage } from '../../src/storage/ports.js';
import { openPostgresDatabase, openPostgresStorage } from '../../src/storage/postgres/postgres-storage.js';
import { freshSchema, type PostgresSchema, postgresUrl } from '../support/services.js';

const server = await postgresUrl('a Postgres whose connections hang');

/**
 * A TCP proxy to the real server whose connections can be frozen (a dropped network: bytes are no
 * longer passed either way, and nothing is closed). Connections made after a freeze pass again.
 */
async function freezingProxy(host: string, port: number) {
  const frozen = new WeakSet<Socket>();
  const sockets = new Set<Socket>();
  const proxy: Server = createServer((client) => {
    const upstream = connect(port, host);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => {});
    }
    client.on('data', (bytes) => {
      if (!frozen.has(client)) upstream.write(bytes);
    });
    upstream.on('data', (bytes) => {
      if (!frozen.has(client)) client.write(bytes);
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const at = (proxy.address() as { port: number }).port;
  return {
    via(url: string) {
      const parsed = new URL(url);
      parsed.hostname = '127.0.0.1';
      parsed.port = String(at);
      return parsed.toString();
    },
    /** Every connection open now stops passing bytes. */
    freeze() {
      for (const socket of sockets) frozen.add(socket);
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => proxy.close(resolve));
    },
  };
}

describe.skipIf(!server)('a Postgres whose connections hang', { timeout: 30_000 }, () => {
  let schema: PostgresSchema;
  let proxy: Awaited<ReturnType<typeof freezingProxy>>;
  let storage: Storage;
  beforeAll(async () => {
    schema = await freshSchema(server ?? '');
    const target = new URL(server ?? '');
    proxy = await freezingProxy(target.hostname, Number(target.port || 5432));
    storage = await openPostgresStorage(proxy.via(schema.url), { poolSize: 1 });
  });
  afterAll(async () => {
    await proxy?.close();
    await storage?.close().catch(() => {});
    await schema?.drop();
  });

  // A health check on a connection that then hangs: the check gave up after 2 s, but the connection
  // stayed checked out for good, and a few load-balancer checks held the whole pool; nothing else
  // got a connection again, even once the network was back.
  it('a health ping gives up on a hung connection and frees it for the next query', async () => {
    await storage.ping();
    proxy.freeze();
    await expect(storage.ping()).rejects.toThrow(/did not answer a ping/);
    // The pool's one connection was the hung one: the next query needs a new one.
    await expect(storage.keys.list()).resolves.toEqual([]);
  });

  // The usage shipper's pool gives up on a query after query_timeout (30 s). pg then rejects the
  // query but keeps its connection, with the query still running on it: every later query on it
  // waited behind one that never ends, so shipping kept failing after the network was back, for
  // as long as the dead connection lasted.
  it('a query that timed out on a hung connection does not leave it to the next query', async () => {
    const db = openPostgresDatabase(proxy.via(schema.url), 1, { query_timeout: 300 });
    try {
      await sql`select 1`.execute(db);
      proxy.freeze();
      await expect(sql`select 1`.execute(db)).rejects.toThrow(/timeout/i);
      const after = await sql<{ one: number }>`select 1 as one`.execute(db).then(
        (r) => r.rows[0]?.one,
        (err: Error) => err.message,
      );
      expect(after).toBe(1);
    } finally {
      await db.destroy();
    }
  });
});
