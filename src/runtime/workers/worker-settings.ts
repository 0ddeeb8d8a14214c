import { parse as parseYaml } from 'yaml';
import { ConfigError, resolveSettings, type Settings, yamlProblem } from '../../config/settings.js';
import { HELD_WRITE_MS, STORE_WRITE_MS } from '../../usage/usage-writer.js';
import type { WorkerEnv } from './worker-env.js';

/**
 * Settings from the Worker's vars and secrets. There is no file system: the config file's
 * content comes from `SWITCHBOARD_CONFIG` (JSON or YAML text) and its channels from `CHANNELS`
 * (a JSON array), and goes through the same schema as switchboard.yaml.
 */
export function workerSettings(env: WorkerEnv): Settings {
  const strings: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(env)) if (typeof value === 'string') strings[name] = value;
  const file = configObject(env.SWITCHBOARD_CONFIG);
  if (env.CHANNELS !== undefined) file.channels = parseJson(env.CHANNELS, 'CHANNELS');
  // Settings of the Node process that mean nothing here (PORT, DATABASE_URL, REDIS_URL...) are
  // not read by this runtime; dropped so a stray var cannot fail validation.
  // EDGE_SECRET too: on a Worker it signs requests to the origin (edge mode), it never opens
  // the origin's internal endpoints here.
  for (const name of ['CONFIG', 'DATABASE_URL', 'REDIS_URL', 'PORT', 'HOST', 'EDGE_SECRET'])
    delete strings[name];
  const settings = resolveSettings({
    env: strings,
    file: { path: 'SWITCHBOARD_CONFIG', text: JSON.stringify(file) },
  });
  const flushMs = settings.accounting.usage.flush_interval_ms;
  if (flushMs <= WORKER_FLUSH_MAX_MS) return settings;
  // Lowered, not refused: a Worker deployed with a longer interval keeps serving after an upgrade.
  console.warn(
    JSON.stringify({
      level: 'warn',
      msg: `usage.flush_interval_ms ${flushMs} is lowered to ${WORKER_FLUSH_MAX_MS} on Workers: a flush's timer lives only as long as the waitUntil of the request that set it, which Cloudflare ends 30 s after the response, and a write may take 20 s`,
    }),
  );
  const usage = { ...settings.accounting.usage, flush_interval_ms: WORKER_FLUSH_MAX_MS };
  return { ...settings, accounting: { ...settings.accounting, usage } };
}

/**
 * The longest usage flush interval a Worker takes (see workerSettings): the first write, which
 * may take STORE_WRITE_MS, still ends within the request's hold of its record (HELD_WRITE_MS),
 * before Cloudflare ends the request's waitUntil work 30 s after the response.
 */
const WORKER_FLUSH_MAX_MS = HELD_WRITE_MS - STORE_WRITE_MS;

function configObject(text: string | undefined): Record<string, unknown> {
  if (text === undefined || text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = parseYaml(text, { merge: true });
  } catch (err) {
    throw new ConfigError(`SWITCHBOARD_CONFIG: not valid JSON or YAML: ${yamlProblem(err)}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new ConfigError('SWITCHBOARD_CONFIG: must be an object (the config file as JSON)');
  return { ...(parsed as Record<string, unknown>) };
}

function parseJson(text: string, name: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    // V8 quotes the text around the error (`..."et-abc"]},]" is not valid JSON`, or with `...`
    // after the quote when more follows: `..."s":[sk-live-01"... is not valid JSON`): it may be a key.
    const problem = (err as Error).message.replace(/,?\s*(?:\.\.\.)?".*"(?:\.\.\.)? is not valid JSON$/s, '');
    throw new ConfigError(`${name}: not valid JSON: ${problem}`);
  }
}
