import type { PriceMapConfig } from './accounting-schema.js';

/** The currency of a deployment whose prices name none (and of the built-in default prices). */
export const DEFAULT_CURRENCY = 'USD';

/** Entries named per currency in the refusal; the rest are counted. */
const NAMED = 3;

/**
 * The deployment's one currency: that of every configured price (`prices` and the channels'
 * `prices`), USD when none is configured. Costs, budgets, rollups and totals add every request's
 * cost up as one number, so prices in two currencies are refused here rather than summed.
 * Returns the currency, or a message naming the entries of each currency.
 */
export function deploymentCurrency(
  prices: PriceMapConfig,
  channelPrices: Readonly<Record<string, PriceMapConfig>>,
): { readonly currency: string } | { readonly problem: string } {
  const byCurrency = new Map<string, string[]>();
  const add = (where: string, map: PriceMapConfig) => {
    for (const [model, price] of Object.entries(map))
      byCurrency.set(price.currency, [...(byCurrency.get(price.currency) ?? []), `${where}.${model}`]);
  };
  add('prices', prices);
  for (const [channel, map] of Object.entries(channelPrices)) add(`channels[${channel}].prices`, map);
  const currencies = [...byCurrency.keys()];
  if (currencies.length <= 1) return { currency: currencies[0] ?? DEFAULT_CURRENCY };
  const listed = [...byCurrency.entries()].map(([currency, entries]) => `${currency} (${named(entries)})`);
  return {
    problem: `prices are in more than one currency: ${listed.join(', ')}; costs, budgets and totals add them up as one: give every price in one currency`,
  };
}

function named(entries: readonly string[]): string {
  const shown = entries.slice(0, NAMED).join(', ');
  return entries.length > NAMED ? `${shown} and ${entries.length - NAMED} more` : shown;
}
