import type { Provider } from '../spec/provider.js';
import { mockProvider } from './mock/provider.js';
import { type AppIdentity, OPENAI_COMPATIBLE_PRESETS } from './openai-compatible/presets.js';
import { createOpenAiCompatibleProvider } from './openai-compatible/provider.js';

export type ProviderRegistry = ReadonlyMap<string, Provider>;

/** Every provider the gateway knows, by the name a channel's `provider` field uses. */
export function createProviderRegistry(app: AppIdentity): ProviderRegistry {
  const registry = new Map<string, Provider>();
  for (const preset of OPENAI_COMPATIBLE_PRESETS)
    registry.set(preset.name, createOpenAiCompatibleProvider(preset, app));
  registry.set(mockProvider.name, mockProvider);
  return registry;
}
