import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway } from '../support/start-gateway.js';

/** A "Postgres" that accepts connections and never says a word, as a hung or overloaded server. */
let silent: Server;
let port: number;
const sockets: Socket[] = [];

beforeAll(async () => {
  silent = createServer((socket) => {
    sockets.push(socket);
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  port = (silent.address() as { port: number }).port;
});
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => silent.close(resolve));
});

describe('a Postgres that never answers', () => {
  // The test's own limit (4 s) is under the 5 s default: it passes only when the setting (300 ms)
  // reaches the pool.
  it('stops the start with a connection-timeout error instead of hanging', { timeout: 4_000 }, async () => {
    const started = startTestGateway(
      {},
      {
        DATABASE_URL: `postgres://switchboard:hunter2-secret@127.0.0.1:${port}/test`,
        DATABASE_CONNECT_TIMEOUT_MS: '300',
      },
    );
    const error = await started.then(
      () => null,
      (err: Error) => err,
    );
    expect(error?.message).toMatch(/timeout/i);
    expect(error?.message).not.toContain('hunter2');
  });

  it('refuses a connect timeout that is not a number of milliseconds', async () => {
    await expect(
      startTestGateway(
        {},
        { DATABASE_URL: `postgres://127.0.0.1:${port}/test`, DATABASE_CONNECT_TIMEOUT_MS: 'soon' },
      ),
    ).rejects.toThrow(/DATABASE_CONNECT_TIMEOUT_MS/);
  });
});
