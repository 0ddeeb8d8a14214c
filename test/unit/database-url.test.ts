import { describe, expect, it } from 'vitest';
import { openStorage } from '../../src/runtime/node/open-storage.js';

/** The message a start with this DATABASE_URL stops with. */
async function refusal(databaseUrl: string): Promise<string> {
  const err = await openStorage(databaseUrl).then(
    () => {
      throw new Error(`${databaseUrl} opened`);
    },
    (err: Error) => err,
  );
  return err.message;
}

describe('a malformed DATABASE_URL', () => {
  it('stops the start saying what is wrong and showing the accepted forms, never the password', async () => {
    const cases: [string, string][] = [
      ['postgres:/admin:hunter2@db.internal/switchboard', '"postgres:" must be followed by "//"'],
      ['postgresql:admin:hunter2@db.internal/switchboard', '"postgresql:" must be followed by "//"'],
      ['./data/switchboard', '"./data/switchboard" has no scheme and does not end in .db'],
      ['sqlite:', '"sqlite:" names no file'],
      ['mysql://admin:hunter2@db.internal/switchboard', 'unsupported scheme "mysql:"'],
      ['postgres://admin:hunter2@db.internal:99999/switchboard', 'not a valid postgres:// URL'],
      ['//admin:hunter2@db.internal/switchboard', '"//…@db.internal/switchboard" has no scheme'],
    ];
    for (const [value, problem] of cases) {
      const message = await refusal(value);
      expect(message, value).toContain(`DATABASE_URL: ${problem}`);
      expect(message, value).toContain('postgres://user:password@host:5432/db');
      expect(message, value).toContain('sqlite:./data/switchboard.db');
      expect(message, value).not.toContain('hunter2');
    }
  });
});
