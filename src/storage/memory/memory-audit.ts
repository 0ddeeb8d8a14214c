import { type AuditEntry, type AuditStore, matchesAuditQuery } from '../audit-port.js';
import { decodeCursor, encodeCursor } from '../usage-log-cursor.js';

/** The audit log in memory (tests and throwaway runs). */
export function createMemoryAuditStore(): AuditStore {
  const entries: AuditEntry[] = [];
  let seq = 0;
  return {
    async append(entry) {
      const stored: AuditEntry = { ...entry, seq: ++seq };
      entries.push(stored);
      return stored;
    },
    async list(query) {
      const after = decodeCursor(query.cursor);
      const matched = entries
        .filter((e) => matchesAuditQuery(e, query))
        .filter((e) => !after || e.at < after.startedAt || (e.at === after.startedAt && e.seq < after.seq))
        .sort((a, b) => b.at - a.at || b.seq - a.seq);
      const shown = matched.slice(0, query.limit);
      const last = shown[shown.length - 1];
      return {
        entries: shown,
        nextCursor: matched.length > query.limit && last ? encodeCursor(last.at, last.seq) : null,
      };
    },
    async prune(before) {
      const kept = entries.filter((e) => e.at >= before);
      const removed = entries.length - kept.length;
      entries.splice(0, entries.length, ...kept);
      return removed;
    },
  };
}
