import { z } from 'zod';
import type { InstanceBeat, InstanceRegistry } from '../instance-registry.js';
import type { RedisLink } from './redis-link.js';

export interface RedisInstanceRegistryOptions {
  /** An instance silent for longer is deleted from the hash by the next `list` (default 10 min). */
  readonly forgetAfterMs?: number;
}

const beatSchema = z.object({
  id: z.string(),
  version: z.string(),
  startedAt: z.number(),
  inFlight: z.number(),
  beatAt: z.number(),
});

/**
 * One hash under the prefix, a field per instance holding its last beat as JSON. The hash
 * expires when nobody has beaten for `forgetAfterMs` (the whole deployment stopped); single
 * instances that went silent are deleted by `list`. While Redis is down a beat is lost (the
 * next one repairs it) and `list` fails: the admin API answers with this instance alone.
 */
export function createRedisInstanceRegistry(
  link: RedisLink,
  options: RedisInstanceRegistryOptions = {},
): InstanceRegistry {
  const key = `${link.prefix}instances`;
  const forgetAfterMs = options.forgetAfterMs ?? 600_000;
  return {
    async beat(info) {
      await link.client.multi().hset(key, info.id, JSON.stringify(info)).pexpire(key, forgetAfterMs).exec();
    },
    async list() {
      const fields = await link.client.hgetall(key);
      const beats: InstanceBeat[] = [];
      const forgotten: string[] = [];
      // Judged against the newest beat, not this process's clock: clocks of hosts differ.
      const parsed = Object.entries(fields).map(
        ([id, text]) => [id, beatSchema.safeParse(safeJson(text))] as const,
      );
      const newest = Math.max(0, ...parsed.map(([, p]) => (p.success ? p.data.beatAt : 0)));
      for (const [id, result] of parsed) {
        if (!result.success || newest - result.data.beatAt > forgetAfterMs) forgotten.push(id);
        else beats.push(result.data);
      }
      if (forgotten.length > 0) await link.client.hdel(key, ...forgotten).catch(() => 0);
      return beats;
    },
    async leave(id) {
      await link.client.hdel(key, id);
    },
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
