import type { AdminSessionRecord, AdminSessionStore } from '../ports.js';

/** Admin sessions in memory (tests and throwaway runs; a restart signs everyone out). */
export function createMemorySessionStore(): AdminSessionStore {
  const sessions = new Map<string, AdminSessionRecord>();
  return {
    async create(session) {
      sessions.set(session.idHash, { ...session });
    },
    async find(idHash, now) {
      const found = sessions.get(idHash);
      return found && found.expiresAt > now ? found : null;
    },
    async delete(idHash) {
      sessions.delete(idHash);
    },
    async purgeExpired(now) {
      let removed = 0;
      for (const [id, session] of sessions) {
        if (session.expiresAt <= now) {
          sessions.delete(id);
          removed++;
        }
      }
      return removed;
    },
  };
}
