import { privateBaseUrlProblem } from '../config/base-url.js';
import { ConfigError, type Settings } from '../config/settings.js';
import type { ProviderRegistry } from '../providers/registry.js';
import { buildChannels } from '../router/build-channels.js';

/**
 * Builds the config file's channels once to reject a bad one with a message naming it (call it
 * before opening anything), and holds them to `upstreams.deny_private`, default URLs included.
 */
export function checkFileChannels(settings: Settings, providers: ProviderRegistry): void {
  const channels = buildChannels(settings.channels, providers);
  if (!settings.denyPrivateUpstreams) return;
  for (const [index, channel] of channels.entries()) {
    const problem = privateBaseUrlProblem(channel.baseUrl);
    if (problem) throw new ConfigError(`channels.${index}.base_url: ${problem}`);
  }
}
