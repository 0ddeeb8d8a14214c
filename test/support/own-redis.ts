import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { serviceMissing } from './services.js';

/** A redis-server this test starts, kills and restarts on one port (never the shared one). */
export interface OwnRedis {
  readonly url: string;
  /** Starts it (again, on the same port); resolves once it answers PING. */
  start(): Promise<void>;
  /** Kills it at once (SIGKILL), as a crash or a network cut looks to clients. */
  kill(): Promise<void>;
}

/** An own Redis on a free port, or null (after saying why) when redis-server is not installed. */
export async function ownRedis(suite: string): Promise<OwnRedis | null> {
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0)
    return serviceMissing('redis-server', probe.error?.message ?? `exit ${probe.status}`, suite);
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | null = null;
  return {
    url,
    async start() {
      // No persistence: a restarted server starts empty, as a replaced one would.
      const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
      child = spawn('redis-server', args, { stdio: 'ignore' });
      await untilAnswers(url);
    },
    async kill() {
      const running = child;
      child = null;
      if (!running || running.exitCode !== null) return;
      const exited = new Promise((resolve) => running.once('exit', resolve));
      running.kill('SIGKILL');
      await exited;
    },
  };
}

async function untilAnswers(url: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.ping();
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      client.disconnect();
    }
  }
  throw new Error(`redis-server on ${url} never answered`);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
