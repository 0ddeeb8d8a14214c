import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { serviceMissing } from './services.js';

/**
 * A redis-server owned by one test, on a free port, without persistence: the test may kill it
 * and start it again (on the same port, empty, as a replaced server would be) without touching
 * the shared Redis others use.
 */
export interface OwnRedis {
  readonly url: string;
  readonly port: number;
  /** Starts it (again, on the same port); resolves once it answers PING. */
  start(): Promise<void>;
  /** Kills it at once (SIGKILL: as abrupt as a crashed or partitioned Redis). */
  kill(): Promise<void>;
  /** The same as `kill`. */
  stop(): Promise<void>;
  close(): Promise<void>;
}

/** Whether `redis-server` can be run here; null (after saying why, or failing in CI) if not. */
export function redisServerBinary(suite: string): string | null {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
    return 'redis-server';
  } catch (err) {
    return serviceMissing('redis-server', (err as Error).message, suite);
  }
}

/** An own Redis on a free port, not started yet; null (after saying why) without redis-server. */
export async function ownRedis(suite: string): Promise<OwnRedis | null> {
  if (redisServerBinary(suite) === null) return null;
  return ownRedisOn(await freePort());
}

/** An own Redis on a free port, already answering (check `redisServerBinary` first). */
export async function startOwnRedis(): Promise<OwnRedis> {
  const redis = ownRedisOn(await freePort());
  await redis.start();
  return redis;
}

function ownRedisOn(port: number): OwnRedis {
  let proc: ChildProcess | null = null;
  const kill = async () => {
    const child = proc;
    proc = null;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
  };
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async start() {
      const child = spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
        { stdio: 'ignore' },
      );
      proc = child;
      await untilAnswers(port, child);
    },
    kill,
    stop: kill,
    close: kill,
  };
}

async function untilAnswers(port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`redis-server on port ${port} exited (${child.exitCode})`);
    const client = new Redis({
      port,
      host: '127.0.0.1',
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    client.on('error', () => {});
    try {
      await client.connect();
      if ((await client.ping()) === 'PONG') return;
    } catch {
      // Not listening yet.
    } finally {
      client.disconnect();
    }
    if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not answer`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A port nothing listens on right now (the OS picks it). */
export function freePort(): Promise<number> {
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
