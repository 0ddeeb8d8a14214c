const ACCEPTED =
  'use postgres://user:password@host:5432/db (or postgresql://), sqlite:./data/switchboard.db ' +
  '(sqlite:<path>, sqlite::memory:), or a file path ending in .db, .sqlite or .sqlite3';

/**
 * The start's message for a DATABASE_URL that names neither a Postgres server nor a SQLite file:
 * what is wrong, then the accepted forms. It quotes a scheme, or a value that has none with any
 * `user:password@` cut out, never a password.
 */
export function databaseUrlProblem(url: string): string {
  // One letter before the colon is a Windows drive (C:\data\switchboard), not a scheme.
  const scheme = /^([a-z][a-z0-9+.-]+):/i.exec(url)?.[1];
  return `DATABASE_URL: ${problem(url, scheme)}; ${ACCEPTED}`;
}

/** For a postgres:// URL that does not parse (a port above 65535, a space in it). */
export function invalidPostgresUrl(): string {
  return `DATABASE_URL: not a valid postgres:// URL (is a character in the password not percent-encoded?); ${ACCEPTED}`;
}

function problem(url: string, scheme: string | undefined): string {
  if (scheme === undefined) {
    const shown = url.replace(/[^/@]*@/, '…@');
    return `"${shown}" has no scheme and does not end in .db, .sqlite or .sqlite3`;
  }
  if (/^postgres(ql)?$/i.test(scheme)) return `"${scheme}:" must be followed by "//" and the host`;
  if (/^(sqlite|file)$/.test(scheme)) return `"${scheme}:" names no file`;
  return `unsupported scheme "${scheme}:"`;
}
