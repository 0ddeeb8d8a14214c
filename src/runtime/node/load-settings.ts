import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { resolveSettings, type Settings } from '../../config/settings.js';

const DEFAULT_CONFIG_FILE = 'switchboard.yaml';

/**
 * Settings from the environment and the config file: CONFIG names the file (it must exist);
 * otherwise ./switchboard.yaml is read when present.
 */
export function loadSettings(env: Record<string, string | undefined> = process.env): Settings {
  const explicit = env.CONFIG;
  const path = resolve(explicit ?? DEFAULT_CONFIG_FILE);
  if (!existsSync(path)) {
    if (explicit) throw new Error(`CONFIG: no such file: ${path}`);
    return resolveSettings({ env });
  }
  return resolveSettings({ env, file: { path, text: readFileSync(path, 'utf8') } });
}
