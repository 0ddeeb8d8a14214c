import type { Channel } from '../../src/spec/channel.js';

/** A router channel with harmless defaults, for unit tests of routing functions. */
export function makeChannel(fields: Partial<Channel> & Pick<Channel, 'name'>): Channel {
  return {
    id: fields.name,
    provider: 'openai-compatible',
    baseUrl: 'http://127.0.0.1:9/v1',
    keys: ['k'],
    models: [],
    modelMap: {},
    priority: 0,
    weight: 1,
    headers: {},
    timeouts: { firstByteMs: 1_000, idleMs: 1_000, totalMs: 1_000 },
    ...fields,
  };
}
