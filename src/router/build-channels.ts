import type { ChannelConfig } from '../config/schema.js';
import { ConfigError } from '../config/settings.js';
import { upstreamKeyProblem } from '../config/upstream-key.js';
import type { ProviderRegistry } from '../providers/registry.js';
import type { Channel } from '../spec/channel.js';

/** The demo channel's chat model: what `POST /chat` uses when no model is named or configured. */
export const DEMO_CHAT_MODEL = 'mock-1';

/** The channel served when no channel is configured: the mock provider's demo models. */
export const DEMO_CHANNEL_CONFIG: ChannelConfig = {
  name: 'mock',
  provider: 'mock',
  keys: [],
  models: [DEMO_CHAT_MODEL, 'mock-embedding'],
  model_map: {},
  priority: 0,
  weight: 1,
  headers: {},
  timeout: { connect_ms: 10_000, first_byte_ms: 60_000, idle_ms: 120_000, total_ms: 600_000 },
  affinity: false,
};

/** Turns validated channel configs into router channels, checking them against the providers. */
export function buildChannels(configs: readonly ChannelConfig[], providers: ProviderRegistry): Channel[] {
  return configs.map((config, i) => {
    const where = `channels.${i}`;
    const provider = providers.get(config.provider);
    if (!provider) {
      const known = [...providers.keys()].join(', ');
      throw new ConfigError(`${where}.provider: unknown provider "${config.provider}" (known: ${known})`);
    }
    const baseUrl = config.base_url ?? provider.defaultBaseUrl;
    if (!baseUrl) throw new ConfigError(`${where}.base_url: required for provider "${config.provider}"`);
    const keys = [...(config.key ? [config.key] : []), ...config.keys];
    if (provider.requiresKey && keys.length === 0) {
      throw new ConfigError(`${where}.keys: provider "${config.provider}" needs at least one key`);
    }
    for (const [k, key] of keys.entries()) {
      const problem = upstreamKeyProblem(key);
      // `key` comes first in the merged list; `keys` follow it.
      const field = config.key ? (k === 0 ? 'key' : `keys.${k - 1}`) : `keys.${k}`;
      if (problem) throw new ConfigError(`${where}.${field}: ${problem}`);
    }
    return {
      id: config.name,
      name: config.name,
      provider: config.provider,
      baseUrl,
      // Keyless servers still get one (empty) key slot so rotation has something to rotate.
      keys: keys.length > 0 ? keys : [''],
      models: config.models,
      modelMap: config.model_map,
      priority: config.priority,
      weight: config.weight,
      headers: lowerCaseNames(config.headers),
      ...(config.api_version ? { apiVersion: config.api_version } : {}),
      ...(config.max_output_tokens ? { maxOutputTokens: config.max_output_tokens } : {}),
      affinity: config.affinity,
      timeouts: {
        connectMs: config.timeout.connect_ms,
        firstByteMs: config.timeout.first_byte_ms,
        idleMs: config.timeout.idle_ms,
        totalMs: config.timeout.total_ms,
      },
    };
  });
}

/**
 * Header names are case-insensitive, and providers set theirs in lower case: a channel's
 * `Anthropic-Version` must replace the default `anthropic-version`, not go out beside it (fetch
 * joins the two into one value, `2023-06-01, 2023-01-01`, that the upstream refuses).
 */
function lowerCaseNames(headers: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
}
