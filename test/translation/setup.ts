import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/server.js';
import { type GatewayUnderTest, startGateway } from '../support/start-any-gateway.js';
import { channel, startTestGateway, type TestGateway } from '../support/start-gateway.js';

/** One fake upstream speaking all three wire formats, and a gateway with a channel for each. */
export async function startTranslationRig(): Promise<{ fake: FakeUpstream; gw: TestGateway }> {
  const fake = await startFakeUpstream();
  const gw = await startTestGateway(translationConfig(fake));
  return { fake, gw };
}

/** The same rig on the runtime GATEWAY_RUNTIME names (test/support/start-any-gateway.ts). */
export async function startTranslationRigUnderTest(): Promise<{ fake: FakeUpstream; gw: GatewayUnderTest }> {
  const fake = await startFakeUpstream();
  const gw = await startGateway(translationConfig(fake));
  return { fake, gw };
}

function translationConfig(fake: FakeUpstream): Record<string, unknown> {
  return {
    channels: [
      channel({
        name: 'oa',
        base_url: fake.baseUrl,
        keys: ['oa-key'],
        models: ['deepseek-chat', 'deepseek-reasoner'],
      }),
      channel({
        name: 'an',
        provider: 'anthropic',
        base_url: `${fake.url}/v1`,
        keys: ['an-key'],
        models: ['claude-native'],
      }),
      channel({
        name: 'gm',
        provider: 'gemini',
        base_url: `${fake.url}/v1beta`,
        keys: ['gm-key'],
        models: ['gemini-2.5-flash'],
      }),
      channel({
        name: 'az',
        provider: 'azure',
        base_url: fake.url,
        keys: ['az-key'],
        models: ['gpt-4o-azure'],
        model_map: { 'gpt-4o-azure': 'my-deployment' },
        api_version: '2024-10-21',
      }),
    ],
    model_aliases: { 'claude-sonnet-4-5': 'deepseek-chat', 'claude-haiku-*': 'gemini-2.5-flash' },
  };
}

export const WEATHER_TOOL = {
  name: 'get_weather',
  description: 'Weather for a place',
  parameters: {
    type: 'object',
    properties: { location: { type: 'string' }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] } },
    required: ['location'],
  },
} as const;

/** A 1×1 PNG. */
export const PIXEL_PNG =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';
