import { rememberAnswers } from '../providers/shared/model-lookup.js';
import { sharedChannelName } from '../spec/channel.js';

/** Prices of one model, per 1M tokens, in `currency`. */
export interface ModelPrice {
  readonly input: number;
  readonly output: number;
  /** Cached prompt tokens read from the provider's prompt cache; defaults to `input`. */
  readonly cachedInput?: number;
  /** Prompt tokens written to the provider's prompt cache; defaults to `input`. */
  readonly cacheWrite?: number;
  /** Prompt tokens written to the cache for an hour (Anthropic `ttl: "1h"`); defaults to `cacheWrite`. */
  readonly cacheWrite1h?: number;
  /** Reasoning tokens, when billed apart from output; defaults to `output`. */
  readonly reasoning?: number;
  readonly currency: string;
}

export type PriceMap = Readonly<Record<string, ModelPrice>>;

export interface PriceTable {
  /**
   * The price for a served model on a channel: channel override, then config, then defaults.
   * Given several names (the name served upstream, then the one the channel was chosen for),
   * each source is tried with each name in order: a `model_map` rename to a deployment name
   * still finds the model's price.
   */
  lookup(model: string | readonly (string | null)[], channel?: string | null): ModelPrice | null;
}

export interface PriceTableInput {
  readonly defaults: PriceMap;
  /** From the config file; wins over the defaults. */
  readonly overrides?: PriceMap;
  /** Channel name -> its own prices; wins over everything for traffic on that channel. */
  readonly channels?: Readonly<Record<string, PriceMap>>;
}

/**
 * Builds the lookup. A model matches a table entry exactly, or as a snapshot of one: the entry
 * followed by a date, a version or a deployment tag (`gpt-4o-2024-08-06`, `-latest`,
 * `@20240620`, `-v1:0`). A name that merely starts with a known one is another product
 * (`o3-mini`, `claude-opus-4-5`) and gets no price from it. A routing prefix such as `openai/`,
 * or Bedrock's `anthropic.`, is ignored when nothing matches with it. A channel's prices serve
 * its bring-your-own-key copies (`<channel>+byok:<key id>`) too.
 */
export function createPriceTable(input: PriceTableInput): PriceTable {
  const merged = priced({ ...lowerKeys(input.defaults), ...lowerKeys(input.overrides ?? {}) });
  const channels = new Map(
    Object.entries(input.channels ?? {}).map(([name, map]) => [name, priced(lowerKeys(map))]),
  );
  return {
    lookup(model, channel) {
      const names = (typeof model === 'string' ? [model] : model)
        .filter((name): name is string => typeof name === 'string' && name !== '')
        .map((name) => name.toLowerCase());
      const own = channel ? channels.get(sharedChannelName(channel)) : undefined;
      for (const source of own ? [own, merged] : [merged])
        for (const name of names) {
          const hit = source.match(name);
          // OpenRouter's free variant of a model costs nothing (an exact entry still wins).
          if (hit) return name.endsWith(FREE) && !source.table[name] ? free(hit) : hit;
        }
      return null;
    },
  };
}

/** A price table and its matcher: a snapshot or an unknown name would scan every entry on every request. */
function priced(table: Readonly<Record<string, ModelPrice>>) {
  return { table, match: rememberAnswers((name) => match(table, name)) };
}

/** What may follow a model's name in one of its snapshots: dates, versions, deployment tags. */
const SNAPSHOT_SUFFIX = new RegExp(
  `^(?:${[
    '-\\d{8}', // Anthropic's dates
    '-\\d{4}-\\d{2}-\\d{2}', // OpenAI's dates
    '-\\d{2}-\\d{2}(?:\\d{2})?', // Google's preview dates: -05-20, -09-2025
    '-\\d{3,4}', // -001, -0905
    '-0', // Anthropic's aliases (claude-sonnet-4-0)
    '-latest',
    '-preview',
    '-exp',
    '-instruct', // the same weights as served by Groq, Together
    '-(?:high|medium|low)', // OpenRouter's reasoning-effort variants
    '-v\\d+(?:\\.\\d+)*(?::\\d+)?', // versions: -v3.1, Bedrock's -v1:0
    '@[\\w.-]+', // Vertex
    ':[\\w.-]+', // Bedrock, OpenRouter tags
  ].join('|')})+$`,
);
/** Bedrock's vendor prefix, with its cross-region profile (`us.anthropic.claude-…`, `meta.llama…`). */
const VENDOR_DOT = /^(?:[a-z]+\.){1,2}/;

function match(map: Readonly<Record<string, ModelPrice>>, model: string): ModelPrice | null {
  const tryOne = (name: string): ModelPrice | null => {
    const exact = map[name];
    if (exact) return exact;
    let best: string | null = null;
    for (const key of Object.keys(map)) {
      if (name.length > key.length && name.startsWith(key) && SNAPSHOT_SUFFIX.test(name.slice(key.length))) {
        if (!best || key.length > best.length) best = key;
      }
    }
    return best ? (map[best] ?? null) : null;
  };
  const direct = tryOne(model);
  if (direct) return direct;
  const unrouted = model.slice(model.lastIndexOf('/') + 1);
  const routed = unrouted === model ? null : tryOne(unrouted);
  if (routed) return routed;
  const vendor = VENDOR_DOT.exec(unrouted);
  return vendor ? tryOne(unrouted.slice(vendor[0].length)) : null;
}

const FREE = ':free';

function free(price: ModelPrice): ModelPrice {
  return {
    input: 0,
    output: 0,
    cachedInput: 0,
    cacheWrite: 0,
    cacheWrite1h: 0,
    reasoning: 0,
    currency: price.currency,
  };
}

function lowerKeys(map: PriceMap): Record<string, ModelPrice> {
  return Object.fromEntries(Object.entries(map).map(([k, v]) => [k.toLowerCase(), v]));
}
