/** Prices of one model, per 1M tokens, in `currency`. */
export interface ModelPrice {
  readonly input: number;
  readonly output: number;
  /** Cached prompt tokens read from the provider's prompt cache; defaults to `input`. */
  readonly cachedInput?: number;
  /** Prompt tokens written to the provider's prompt cache; defaults to `input`. */
  readonly cacheWrite?: number;
  /** Reasoning tokens, when billed apart from output; defaults to `output`. */
  readonly reasoning?: number;
  readonly currency: string;
}

export type PriceMap = Readonly<Record<string, ModelPrice>>;

export interface PriceTable {
  /** The price for a served model on a channel: channel override, then config, then defaults. */
  lookup(model: string, channel?: string | null): ModelPrice | null;
}

export interface PriceTableInput {
  readonly defaults: PriceMap;
  /** From the config file; wins over the defaults. */
  readonly overrides?: PriceMap;
  /** Channel name -> its own prices; wins over everything for traffic on that channel. */
  readonly channels?: Readonly<Record<string, PriceMap>>;
}

/**
 * Builds the lookup. A model matches a table entry exactly, or by the longest entry that is a
 * prefix of it followed by `-` or `@` (so `gpt-4o-2024-08-06` gets `gpt-4o`, and `gpt-4o-mini`
 * keeps its own entry). A routing prefix such as `openai/` is ignored when nothing matches with it.
 */
export function createPriceTable(input: PriceTableInput): PriceTable {
  const merged: Record<string, ModelPrice> = {
    ...lowerKeys(input.defaults),
    ...lowerKeys(input.overrides ?? {}),
  };
  const channels = new Map(Object.entries(input.channels ?? {}).map(([name, map]) => [name, lowerKeys(map)]));
  return {
    lookup(model, channel) {
      const wanted = model.toLowerCase();
      const own = channel ? channels.get(channel) : undefined;
      if (own) {
        const hit = match(own, wanted);
        if (hit) return hit;
      }
      return match(merged, wanted);
    },
  };
}

function match(map: Readonly<Record<string, ModelPrice>>, model: string): ModelPrice | null {
  const tryOne = (name: string): ModelPrice | null => {
    const exact = map[name];
    if (exact) return exact;
    let best: string | null = null;
    for (const key of Object.keys(map)) {
      if (name.length > key.length && name.startsWith(key) && /[-@:.]/.test(name[key.length] ?? '')) {
        if (!best || key.length > best.length) best = key;
      }
    }
    return best ? (map[best] ?? null) : null;
  };
  const direct = tryOne(model);
  if (direct) return direct;
  const slash = model.lastIndexOf('/');
  return slash >= 0 ? tryOne(model.slice(slash + 1)) : null;
}

function lowerKeys(map: PriceMap): Record<string, ModelPrice> {
  return Object.fromEntries(Object.entries(map).map(([k, v]) => [k.toLowerCase(), v]));
}
