/** A channel as the router sees it: one upstream with one or more keys. Immutable once built. */
export interface Channel {
  readonly id: string;
  readonly name: string;
  /** Provider preset or family name (e.g. `deepseek`, `openai`, `mock`). */
  readonly provider: string;
  readonly baseUrl: string;
  readonly keys: readonly string[];
  /** Models this channel serves, as clients name them. Empty means any model. */
  readonly models: readonly string[];
  /** Client model name -> upstream model name. Its keys are served models too. */
  readonly modelMap: Readonly<Record<string, string>>;
  /** Lower number = tried first. */
  readonly priority: number;
  readonly weight: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly timeouts: ChannelTimeouts;
  /** API version for providers that version by query string (Azure OpenAI `api-version`). */
  readonly apiVersion?: string;
  /** Keep one conversation on one upstream key while that key is healthy (prompt caches). */
  readonly affinity?: boolean;
  /**
   * Output-token caps by model (exact name or `*` glob, upstream or client name): a request asking
   * for more is clamped to it. Wins over the built-in table (src/providers/model-limits.ts).
   */
  readonly maxOutputTokens?: Readonly<Record<string, number>>;
}

export interface ChannelTimeouts {
  /** TCP/TLS connect; enforced by the runtime's upstream fetch (optional for runtimes without one). */
  readonly connectMs?: number;
  /** Time to the upstream's response headers and first body byte. */
  readonly firstByteMs: number;
  /** Longest silence between two chunks of a body. */
  readonly idleMs: number;
  /** Whole non-stream request, headers to last byte. */
  readonly totalMs: number;
}

/** One concrete place a request can go: a channel, one of its keys, and the upstream model name. */
export interface Target {
  readonly channel: Channel;
  readonly keyIndex: number;
  readonly upstreamModel: string;
}

/**
 * Marks a bring-your-own-key tenant's copy of a channel: `<channel>+byok:<key id>` (id and name),
 * so its health, load and counters stay apart from the shared channel's.
 */
export const BYOK_COPY_MARK = '+byok:';

/** The shared channel a name belongs to: itself, or the channel a BYOK copy was made of. */
export function sharedChannelName(name: string): string {
  const copy = name.indexOf(BYOK_COPY_MARK);
  return copy < 0 ? name : name.slice(0, copy);
}
