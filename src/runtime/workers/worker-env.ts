import type { D1Database, DurableObjectNamespace, Fetcher, KVNamespace } from './cloudflare-types.js';
import type { CounterObject } from './counter-object.js';

/** The bindings wrangler.jsonc declares, and the vars and secrets the Worker reads. */
export interface WorkerEnv {
  /** The D1 database: every durable store (keys, channels, usage, audit, sessions). Not used in edge mode. */
  readonly DB?: D1Database;
  /**
   * Edge mode (docs/workers.md, "Edge and origin"): the base URL of a Node Switchboard that
   * holds the keys and receives the usage; no D1 then. Needs the EDGE_SECRET secret.
   */
  readonly ORIGIN_URL?: string;
  /** Edge mode: the secret shared with the origin (its EDGE_SECRET), at least 32 characters. */
  readonly EDGE_SECRET?: string;
  /** Edge mode: how long the origin's answer about a key is kept, in seconds (default 25). */
  readonly EDGE_KEY_TTL_S?: string;
  /** The response cache (eventually consistent, which a cache tolerates). */
  readonly CACHE?: KVNamespace;
  /** Limit counters and router health, exact across isolates (counter-object.ts). */
  readonly COUNTERS: DurableObjectNamespace<CounterObject>;
  /** The built admin panel (ui/dist), when the assets binding is configured. */
  readonly ASSETS?: Fetcher;
  /** Config-file channels, a JSON array in the shape of `channels:` in switchboard.yaml. */
  readonly CHANNELS?: string;
  /** The rest of the config file as JSON (or YAML) text; `CHANNELS` replaces its channels. */
  readonly SWITCHBOARD_CONFIG?: string;
  /** Every other string var or secret (ADMIN_TOKEN, SWITCHBOARD_SECRET_KEY, LOG_LEVEL, ...). */
  readonly [name: string]: unknown;
}
