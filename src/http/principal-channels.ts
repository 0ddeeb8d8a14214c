import { channelSchema } from '../config/schema.js';
import type { ProviderRegistry } from '../providers/registry.js';
import { buildChannels } from '../router/build-channels.js';
import { BYOK_COPY_MARK, type Channel } from '../spec/channel.js';
import type { Principal } from '../spec/principal.js';

/**
 * The channels one client key may use. Most keys see every channel. A key bound to a channel
 * sees only that one. A "bring your own key" key sees the channels of its provider (or, when
 * there is none, the provider's default endpoint) carrying its own upstream key instead of the
 * channel's; those copies are named per client key (`<channel>+byok:<key id>`), so one tenant's
 * failures, load and counters never touch the shared channel's keys nor another tenant's copy.
 */
export function channelsFor(
  principal: Principal,
  channels: () => readonly Channel[],
  providers: ProviderRegistry,
): () => readonly Channel[] {
  const bound = principal.channelId;
  if (bound) return () => channels().filter((c) => c.id === bound);
  const byok = principal.byok;
  if (!byok) return channels;
  return () => {
    const own = channels().filter((c) => c.provider === byok.provider);
    const base = own.length > 0 ? own : defaultEndpoint(byok.provider, providers);
    const copy = `${BYOK_COPY_MARK}${principal.keyId}`;
    return base.map((c) => ({ ...c, id: `${c.id}${copy}`, name: `${c.name}${copy}`, keys: [byok.apiKey] }));
  };
}

function defaultEndpoint(provider: string, providers: ProviderRegistry): Channel[] {
  if (!providers.get(provider)?.defaultBaseUrl) return [];
  return buildChannels([channelSchema.parse({ name: provider, provider, keys: ['byok'] })], providers);
}
