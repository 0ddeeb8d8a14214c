import { describe, expect, it } from 'vitest';
import { atStage, failureCategory, failureDetail } from '../../src/usage/shipping-failure.js';

const rejectWith = (err: unknown) => () => Promise.reject(err);
const caught = async (work: () => Promise<unknown>) =>
  work().then(
    () => null,
    (err: unknown) => err,
  );

describe('the usage shipping failure /health shows', () => {
  it('names the stage and whether it was unreachable, keeping the error text for the log', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 10.0.0.5:5432'), { code: 'ECONNREFUSED' });
    const db = await caught(() => atStage('database', rejectWith(refused)));
    expect(failureCategory(db, 'redis')).toBe('database unreachable');
    expect(failureDetail(db)).toBe('connect ECONNREFUSED 10.0.0.5:5432');
    // pg: the server went away mid-query (SQLSTATE 57P01).
    const shutdown = Object.assign(new Error('terminating connection due to administrator command'), {
      code: '57P01',
    });
    expect(failureCategory(await caught(() => atStage('database', rejectWith(shutdown))), 'file')).toBe(
      'database unreachable',
    );
    // pg: a pooled client whose connection broke earlier, used again.
    const broken = new Error('Client has encountered a connection error and is not queryable');
    expect(failureCategory(broken, 'database')).toBe('database unreachable');
    expect(failureCategory(new Error('duplicate key value violates "x"'), 'database')).toBe(
      'database write failed',
    );
  });

  it("reports Redis errors the buffer does not tag as its own stage's", () => {
    expect(failureCategory(new Error('Command timed out'), 'redis')).toBe('redis unreachable');
    expect(failureCategory(new Error('Connection is closed.'), 'redis')).toBe('redis unreachable');
    expect(failureCategory(new Error('NOGROUP No such key'), 'redis')).toBe('redis command failed');
    expect(failureCategory(new Error('ENOSPC: no space left on device, write'), 'file')).toBe(
      'journal file write failed',
    );
  });

  it('keeps the first stage when tagged calls nest', async () => {
    const err = await caught(() =>
      atStage('redis', () => atStage('database', rejectWith(new Error('connection terminated')))),
    );
    expect(failureCategory(err, 'redis')).toBe('database unreachable');
  });
});
