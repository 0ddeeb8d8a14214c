import { describe, expect, it } from 'vitest';
import type { UsageRecord } from '../../src/spec/usage.js';
import type { UsageJournal } from '../../src/storage/usage-journal.js';
import { createRequestJournal } from '../../src/usage/journal-writer.js';

const silent = { debug() {}, info() {}, warn() {}, error() {} };
const record = (requestId: string) => ({ requestId, status: 200, attempts: [] }) as unknown as UsageRecord;

/** A journal whose writes fail while `down` (a full disk, Redis and Postgres both away). */
function failingJournal() {
  const state = { down: true, written: [] as string[] };
  const journal: UsageJournal = {
    open: () => {},
    append: async (_entry, r) => {
      if (state.down) throw new Error('disk full');
      state.written.push(r.requestId);
    },
    rollUp: async () => 0,
    recover: async () => 0,
  };
  return { state, journal };
}

describe('the request journal at its bound of failed writes', () => {
  it('reports itself full instead of dropping records, and recovers once they are written', async () => {
    const { state, journal } = failingJournal();
    const requests = createRequestJournal(journal, silent, 3);
    for (const id of ['a', 'b']) await requests.append(id, record(id));
    expect(requests.failed).toBe(2);
    expect(requests.full()).toBe(false);
    await requests.append('c', record('c'));
    // At the bound: new model requests are refused (usage_backlog_full), no record is lost.
    expect(requests.full()).toBe(true);
    expect(requests.failed).toBe(3);

    state.down = false;
    await requests.retry();
    expect(requests.failed).toBe(0);
    expect(requests.full()).toBe(false);
    expect(state.written.sort()).toEqual(['a', 'b', 'c']);
  });
});
