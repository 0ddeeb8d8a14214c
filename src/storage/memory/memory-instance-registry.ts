import type { InstanceBeat, InstanceRegistry } from '../instance-registry.js';

/** The instances of one process: just itself (and, in tests, whoever beats into the same object). */
export function createMemoryInstanceRegistry(): InstanceRegistry {
  const beats = new Map<string, InstanceBeat>();
  return {
    async beat(info) {
      beats.set(info.id, info);
    },
    async list() {
      return [...beats.values()];
    },
    async leave(id) {
      beats.delete(id);
    },
  };
}
