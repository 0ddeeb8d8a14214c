import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

type Arg = string | number | Buffer;
type BufferEval = (script: string, numKeys: number, ...args: Arg[]) => Promise<unknown>;

/** A Lua script run by its SHA (EVALSHA), loaded with EVAL the first time a server lacks it. */
export interface RedisScript {
  run(client: Redis, keys: readonly string[], args: readonly Arg[]): Promise<unknown>;
  /** The same, with bulk replies as Buffers (binary values such as cached bodies). */
  runBuffer(client: Redis, keys: readonly string[], args: readonly Arg[]): Promise<unknown>;
}

const missing = (err: unknown) => err instanceof Error && err.message.startsWith('NOSCRIPT');

export function redisScript(lua: string): RedisScript {
  const sha = createHash('sha1').update(lua).digest('hex');
  return {
    async run(client, keys, args) {
      try {
        return await client.evalsha(sha, keys.length, ...keys, ...args);
      } catch (err) {
        // A restarted (or another) server has an empty script cache: EVAL loads it for next time.
        if (!missing(err)) throw err;
        return client.eval(lua, keys.length, ...keys, ...args);
      }
    },
    async runBuffer(client, keys, args) {
      // Not `callBuffer`, which loses its command name under ioredis's auto-pipelining (off on
      // the link, turn-writes.ts). The Buffer variants of EVALSHA and EVAL exist at runtime but
      // not in ioredis's typings.
      const buffers = client as unknown as { evalshaBuffer: BufferEval; evalBuffer: BufferEval };
      try {
        return await buffers.evalshaBuffer(sha, keys.length, ...keys, ...args);
      } catch (err) {
        if (!missing(err)) throw err;
        return buffers.evalBuffer(lua, keys.length, ...keys, ...args);
      }
    },
  };
}
