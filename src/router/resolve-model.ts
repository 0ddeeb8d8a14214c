import type { Channel } from '../spec/channel.js';

export interface Candidate {
  readonly channel: Channel;
  readonly upstreamModel: string;
}

/**
 * Which channels serve a model, in three tiers so the most specific configuration wins:
 * 1. channels that list the name (in `models` or `model_map`);
 * 2. an explicit prefix, `channel/model` or `provider/model`;
 * 3. channels that accept any model (empty `models`).
 * Tier 2 before 3 keeps `deepseek/deepseek-chat` on the deepseek channel even when an
 * any-model channel such as OpenRouter (whose own names contain slashes) also exists.
 */
export function findCandidates(channels: readonly Channel[], model: string): Candidate[] {
  const listed = channels.filter((c) => servesExplicitly(c, model));
  if (listed.length > 0)
    return listed.map((channel) => ({ channel, upstreamModel: mapModel(channel, model) }));

  const slash = model.indexOf('/');
  if (slash > 0) {
    const prefix = model.slice(0, slash);
    const rest = model.slice(slash + 1);
    const prefixed = channels.filter(
      (c) =>
        (c.name === prefix || c.provider === prefix) && (c.models.length === 0 || servesExplicitly(c, rest)),
    );
    if (prefixed.length > 0)
      return prefixed.map((channel) => ({ channel, upstreamModel: mapModel(channel, rest) }));
  }

  return channels.filter((c) => c.models.length === 0).map((channel) => ({ channel, upstreamModel: model }));
}

function servesExplicitly(channel: Channel, model: string): boolean {
  return channel.models.includes(model) || Object.hasOwn(channel.modelMap, model);
}

function mapModel(channel: Channel, model: string): string {
  // Own entries only: a name such as `constructor` must not read the map's prototype.
  return Object.hasOwn(channel.modelMap, model) ? (channel.modelMap[model] ?? model) : model;
}

/** The model names a channel can enumerate (any-model channels enumerate none). */
export function listedModels(channel: Channel): string[] {
  return [...new Set([...channel.models, ...Object.keys(channel.modelMap)])];
}
