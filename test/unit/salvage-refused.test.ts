import { describe, expect, it } from 'vitest';
import { refusedForData, writeSalvaging } from '../../src/storage/sql/salvage-refused.js';

/** A database error as pg raises it: a message and a SQLSTATE code. */
const dbError = (code: string) => Object.assign(new Error(`refused (${code})`), { code });

/**
 * A store that refuses any batch holding a value it cannot take, the way Postgres refuses a
 * statement: the whole batch, whatever else it holds.
 */
function store(refuses: (item: string) => string | null) {
  const rows: string[] = [];
  let transactions = 0;
  return {
    rows,
    transactions: () => transactions,
    async write(items: readonly string[]) {
      transactions++;
      for (const item of items) {
        const code = refuses(item);
        if (code) throw dbError(code);
      }
      rows.push(...items);
    },
  };
}

const forms = {
  storable: (item: string) => item.replaceAll('\u0000', '\ufffd'),
  ascii: (item: string) => item.replace(/[^\x20-\x7e]/g, '?'),
};

describe('writeSalvaging', () => {
  it('writes a batch the database takes in one transaction', async () => {
    const db = store(() => null);
    const told: string[] = [];
    await writeSalvaging(['a', 'b', 'c'], db.write, forms, (item) => told.push(item));
    expect(db.rows).toEqual(['a', 'b', 'c']);
    expect(db.transactions()).toBe(1);
    expect(told).toEqual([]);
  });

  it('writes every other record of a batch refused for one, in order, and that one in its storable form', async () => {
    const db = store((item) => (item.includes('\u0000') ? '22021' : null));
    const told: string[] = [];
    const batch = ['r1', 'r2', 'bad\u0000', 'r4', 'r5', 'r6', 'r7'];
    await writeSalvaging(batch, db.write, forms, (item, outcome) => told.push(`${item}:${outcome}`));
    expect(db.rows).toEqual(['r1', 'r2', 'bad\ufffd', 'r4', 'r5', 'r6', 'r7']);
    expect(told).toEqual(['bad\u0000:storable']);
  });

  it('falls back to the ASCII form, then drops the record, never stopping the others', async () => {
    // Takes only ASCII (a database in another encoding), and never the word "never".
    const db = store((item) =>
      /[^\x20-\x7e]/.test(item) ? '22P05' : item.includes('never') ? '54000' : null,
    );
    const told: string[] = [];
    await writeSalvaging(['ok', 'caf\u00e9', 'never ok', 'fine'], db.write, forms, (item, outcome) =>
      told.push(`${item}:${outcome}`),
    );
    expect(db.rows).toEqual(['ok', 'caf?', 'fine']);
    expect(told.sort()).toEqual(['caf\u00e9:ascii', 'never ok:dropped']);
  });

  it('lets a failure that is not about the data through, for the whole batch to be retried', async () => {
    const db = store((item) => (item === 'b' ? '57P01' : null));
    await expect(writeSalvaging(['a', 'b'], db.write, forms, () => {})).rejects.toThrow(/57P01/);
    const unreachable = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    const down = async () => {
      throw unreachable;
    };
    await expect(writeSalvaging(['a'], down, forms, () => {})).rejects.toBe(unreachable);
  });

  it('tells data refusals (SQLSTATE classes 22 and 54) from the rest', () => {
    for (const code of ['22021', '22P02', '22003', '22P05', '54000'])
      expect(refusedForData(dbError(code))).toBe(true);
    for (const code of ['08006', '57P01', '53300', '23505', '40001', 'ECONNRESET', '2200'])
      expect(refusedForData(dbError(code))).toBe(false);
    expect(refusedForData(new Error('no code'))).toBe(false);
    expect(refusedForData(null)).toBe(false);
  });
});
