import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { resolveSettings, type Settings } from '../../config/settings.js';

const DEFAULT_CONFIG_FILE = 'switchboard.yaml';

/**
 * Settings from the environment and the config file: CONFIG names the file (it must exist);
 * otherwise ./switchboard.yaml is read when present.
 */
export function loadSettings(env: Record<string, string | undefined> = process.env): Settings {
  const explicit = env.CONFIG;
  // resolve('') is the working directory: read as a file, it failed with a bare EISDIR.
  if (explicit !== undefined && explicit.trim() === '')
    throw new Error('CONFIG: set but empty: name the config file or unset the variable');
  const path = resolve(explicit ?? DEFAULT_CONFIG_FILE);
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) {
    if (explicit) throw new Error(`CONFIG: no such file: ${path}`);
    return resolveSettings({ env });
  }
  // A folder where the file should be (Docker makes one for a bind mount of a missing file). Only
  // a folder: a pipe (`CONFIG=<(envsubst < tpl.yaml)`) or a device reads as a file does.
  if (stat.isDirectory()) throw new Error(`${explicit ? 'CONFIG' : 'config file'}: not a file: ${path}`);
  return resolveSettings({ env, file: { path, text: readFileSync(path, 'utf8') } });
}
