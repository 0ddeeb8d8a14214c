import type { Provider } from '../spec/provider.js';
import type { WireFormat } from '../spec/wire.js';
import { anthropicProvider } from './anthropic/provider.js';
import { anthropicWire } from './anthropic/wire.js';
import { azureProvider } from './azure/provider.js';
import { geminiProvider } from './gemini/provider.js';
import { geminiWire } from './gemini/wire.js';
import { mockProvider } from './mock/provider.js';
import { type AppIdentity, OPENAI_COMPATIBLE_PRESETS } from './openai-compatible/presets.js';
import { createOpenAiCompatibleProvider } from './openai-compatible/provider.js';
import { openAiWire } from './openai-compatible/wire.js';

export type ProviderRegistry = ReadonlyMap<string, Provider>;

/** Every provider the gateway knows, by the name a channel's `provider` field uses. */
export function createProviderRegistry(app: AppIdentity): ProviderRegistry {
  const registry = new Map<string, Provider>();
  for (const preset of OPENAI_COMPATIBLE_PRESETS)
    registry.set(preset.name, createOpenAiCompatibleProvider(preset, app));
  registry.set(mockProvider.name, mockProvider);
  registry.set(anthropicProvider.name, anthropicProvider);
  registry.set(geminiProvider.name, geminiProvider);
  registry.set(azureProvider.name, azureProvider);
  return registry;
}

export type WireRegistry = ReadonlyMap<string, WireFormat>;

/** Every chat wire format, by the name a provider's `wire` field uses. */
export function createWireRegistry(): WireRegistry {
  return new Map([openAiWire, anthropicWire, geminiWire].map((wire) => [wire.name, wire]));
}
