import type { Channel } from '../spec/channel.js';

/**
 * What an edit changed of where or how a channel connects. Its router health (breakers, keys
 * flagged, models marked unavailable) was learnt from the old connection:
 * - `connection`: its provider, base URL, API version or headers changed: none of it holds;
 * - `keys`: only its key list changed: a key it kept keeps its health (health names keys by
 *   fingerprint, docs/routing.md), but a model marked unavailable may have been the old keys'
 *   account's doing;
 * - null: an edit of its models, weight, priority or time-outs leaves its health standing.
 */
export type ConnectionChange = 'connection' | 'keys';

export function connectionChange(before: Channel, after: Channel): ConnectionChange | null {
  if (
    before.provider !== after.provider ||
    before.baseUrl !== after.baseUrl ||
    before.apiVersion !== after.apiVersion ||
    !sameList(headerList(before), headerList(after))
  )
    return 'connection';
  // The same keys in another order connect the same way.
  return sameList([...before.keys].sort(), [...after.keys].sort()) ? null : 'keys';
}

export interface Reconnected {
  readonly channelId: string;
  readonly change: ConnectionChange;
}

/** The channels in both snapshots whose connection differs between them. */
export function reconnectedChannels(before: readonly Channel[], after: readonly Channel[]): Reconnected[] {
  const old = new Map(before.map((c) => [c.id, c]));
  const out: Reconnected[] = [];
  for (const channel of after) {
    const was = old.get(channel.id);
    const change = was && connectionChange(was, channel);
    if (change) out.push({ channelId: channel.id, change });
  }
  return out;
}

function headerList(channel: Channel): string[] {
  return Object.entries(channel.headers)
    .map(([name, value]) => `${name.toLowerCase()}:${value}`)
    .sort();
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}
