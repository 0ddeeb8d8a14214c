import { describe, expect, it } from 'vitest';
import { autoclaimReply, parseEntries } from '../../src/storage/redis/usage-stream-replies.js';
import { blankUsageRecord } from '../../src/usage/blank-record.js';

const record = blankUsageRecord('r1', 'chat', 1_000);
const fields = ['e', 'entry-1', 'b', 'boot-a', 'f', '1', 'r', JSON.stringify(record)];

describe("XAUTOCLAIM's reply, as Redis 6.2 and 7 send it", () => {
  it('reads the claimed entries from the 2-element reply of Redis 6.2, and names the deleted ones', () => {
    // 6.2: [next cursor, entries]; an entry deleted while pending comes back with nil fields and
    // stays in the pending list until acknowledged.
    const reply = [
      '0-0',
      [
        ['1-0', fields],
        ['2-0', null],
      ],
    ];
    expect(autoclaimReply(reply)).toEqual({
      entries: [{ id: '1-0', entry: { entry: 'entry-1', boot: 'boot-a', final: true, record } }],
      deleted: ['2-0'],
    });
  });

  it('reads the 3-element reply of Redis 7, whose deleted ids Redis already dropped itself', () => {
    // 7: [next cursor, entries, deleted ids]; the deleted ones are no longer pending.
    const reply = ['0-0', [['1-0', fields]], ['2-0']];
    expect(autoclaimReply(reply)).toEqual({
      entries: [{ id: '1-0', entry: { entry: 'entry-1', boot: 'boot-a', final: true, record } }],
      deleted: [],
    });
  });

  it('keeps an entry not written by a gateway, unreadable, so it is removed and said', () => {
    const reply = ['0-0', [['3-0', ['x', 'y']]], []];
    expect(autoclaimReply(reply).entries).toEqual([{ id: '3-0', entry: null }]);
  });
});

describe('a read of stream entries', () => {
  const provisional = (entry: string, json = JSON.stringify(record)) => [
    'e',
    entry,
    'b',
    'boot-a',
    'f',
    '0',
    'r',
    json,
  ];
  const final = (entry: string, json = JSON.stringify(record)) => [
    'e',
    entry,
    'b',
    'boot-a',
    'f',
    '1',
    'r',
    json,
  ];

  it('leaves a provisional record unparsed when its final one is in the same read, and reads every other', () => {
    const entries = parseEntries([
      // Its final record follows: replaced in the database anyway, so its text is not read.
      ['1-0', provisional('entry-1', '{not json')],
      ['2-0', provisional('entry-2')],
      ['3-0', final('entry-1')],
    ]);
    expect(entries).toEqual([
      { id: '1-0', entry: null, superseded: true },
      { id: '2-0', entry: { entry: 'entry-2', boot: 'boot-a', final: false, record } },
      { id: '3-0', entry: { entry: 'entry-1', boot: 'boot-a', final: true, record } },
    ]);
  });

  it('reads the provisional record when the final one beside it cannot be read', () => {
    const entries = parseEntries([
      ['1-0', provisional('entry-1')],
      ['2-0', final('entry-1', '{not json')],
    ]);
    expect(entries).toEqual([
      { id: '1-0', entry: { entry: 'entry-1', boot: 'boot-a', final: false, record } },
      { id: '2-0', entry: null },
    ]);
  });
});
