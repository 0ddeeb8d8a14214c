import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { arrayLiteral } from '../../src/storage/postgres/array-literal.js';
import { postgresUrl } from '../support/services.js';

const server = await postgresUrl('the Postgres array literal round trip');

/**
 * Usage rows reach Postgres as one array literal per column (postgresDialect.rowSource): every
 * value a record can hold must come back from the server as it was written.
 */
describe.skipIf(!server)('Postgres array literals', () => {
  let client: pg.Client;
  beforeAll(async () => {
    client = new pg.Client({ connectionString: server ?? '' });
    await client.connect();
  });
  afterAll(async () => {
    await client?.end();
  });

  const roundTrip = async (values: readonly unknown[], type: string) => {
    const { rows } = await client.query<{ v: unknown }>(`select unnest($1::${type}[]) as v`, [
      arrayLiteral(values),
    ]);
    return rows.map((r) => r.v);
  };

  it('keeps text as written: quotes, backslashes, braces, commas, blanks, unicode, NULL as a word, empty', async () => {
    const texts = [
      'plain',
      'say "hi"',
      'C:\\path\\to',
      '\\"',
      '{a,b}',
      'a, b',
      '  padded  ',
      'line\nbreak\ttab',
      'NULL',
      '',
      '{"role":"user","content":"\\u00e9 \\"q\\""}',
      'sk-…abcd ünïcødé 模型 🚀',
      null,
    ];
    expect(await roundTrip(texts, 'text')).toEqual(texts);
  });

  it('keeps numbers: integers, 64-bit times, fractions, exponents, negatives and nulls', async () => {
    expect(await roundTrip([0, -7, 2_147_483_647, null], 'int4')).toEqual([0, -7, 2_147_483_647, null]);
    expect(await roundTrip([1_796_636_844_321, 9_007_199_254_740_991], 'int8')).toEqual([
      '1796636844321',
      '9007199254740991',
    ]);
    expect(await roundTrip([0.0001, 1e-7, -2.5, 1.5e21, null], 'float8')).toEqual([
      0.0001,
      1e-7,
      -2.5,
      1.5e21,
      null,
    ]);
  });

  it('writes undefined as NULL, and an empty column as an empty array', async () => {
    expect(await roundTrip([undefined, 'x'], 'text')).toEqual([null, 'x']);
    expect(await roundTrip([], 'text')).toEqual([]);
  });
});
