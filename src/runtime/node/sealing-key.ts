import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import type { Logger } from '../../spec/logger.js';
import { sqliteFilename } from './open-storage.js';

/** Where the key that seals stored secrets comes from. */
export interface SealingKey {
  readonly key: string;
  /** `env`: SWITCHBOARD_SECRET_KEY; `file`: the key file; `memory`: per process (in-memory database). */
  readonly source: 'env' | 'file' | 'memory';
  /** The key file (source `file`); null otherwise. */
  readonly path: string | null;
  /** The key file was created on this call (removed again if the database rejects it). */
  readonly generated: boolean;
  /** How messages name this key: never the key itself. */
  readonly name: string;
}

/** `data/switchboard.db` → `data/switchboard.secret-key`: beside the database, one per file. */
export function sealingKeyPath(databaseUrl: string): string | null {
  const filename = sqliteFilename(databaseUrl);
  if (filename === null || filename === ':memory:') return null;
  const file = resolve(filename);
  return join(dirname(file), `${basename(file, extname(file))}.secret-key`);
}

export function generateSealingKey(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * The sealing key: SWITCHBOARD_SECRET_KEY when set; else the key file beside the database,
 * generated (mode 0600) on first start; for an in-memory database, one key per process, since
 * its secrets die with it.
 */
export function loadSealingKey(options: {
  readonly envKey: string | null;
  readonly databaseUrl: string;
  readonly logger?: Logger;
}): SealingKey {
  if (options.envKey) {
    return {
      key: options.envKey,
      source: 'env',
      path: null,
      generated: false,
      name: 'SWITCHBOARD_SECRET_KEY',
    };
  }
  const path = sealingKeyPath(options.databaseUrl);
  if (path === null && sqliteFilename(options.databaseUrl) === null) {
    // A shared database is read by many processes and outlives each: a key made here would
    // leave every other instance (and this one, after a restart) unable to open its secrets.
    throw new Error(
      'SWITCHBOARD_SECRET_KEY is required when DATABASE_URL is not a SQLite file: set it to the same value on every instance (docs/deployment.md)',
    );
  }
  if (path === null) {
    return {
      key: generateSealingKey(),
      source: 'memory',
      path: null,
      generated: false,
      name: 'the per-process key',
    };
  }
  const name = `the sealing key in ${path}`;
  if (existsSync(path)) {
    const key = readFileSync(path, 'utf8').trim();
    if (key === '') throw new Error(`${path} is empty: restore the sealing key from your backup`);
    return { key, source: 'file', path, generated: false, name };
  }
  const key = generateSealingKey();
  // `wx`: never overwrite a key another process wrote a moment ago.
  writeFileSync(path, `${key}\n`, { mode: 0o600, flag: 'wx' });
  options.logger?.warn(
    { path },
    'generated a sealing key for stored upstream keys; back this file up with the database (docs/deployment.md)',
  );
  return { key, source: 'file', path, generated: true, name };
}

/** Undoes a key file generated on this start, when the database turned out to need another key. */
export function discardGeneratedKey(sealing: SealingKey): void {
  if (sealing.generated && sealing.path) unlinkSync(sealing.path);
}

/**
 * Replaces the key file in two steps: the new key is written to `<path>.new` before the secrets
 * are re-sealed, and renamed over the old one after, so a crash in between leaves the new key on
 * disk rather than secrets nobody can open.
 */
export function stageKeyFile(path: string, key: string): { commit(): void; abandon(): void } {
  const staged = `${path}.new`;
  writeFileSync(staged, `${key}\n`, { mode: 0o600 });
  return {
    commit: () => renameSync(staged, path),
    abandon: () => unlinkSync(staged),
  };
}
