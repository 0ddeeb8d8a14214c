import { describe, expect, it } from 'vitest';
import { findCandidates, listedModels } from '../../src/router/resolve-model.js';
import { makeChannel } from '../support/channel-fixture.js';

const deepseek = makeChannel({
  name: 'ds-main',
  provider: 'deepseek',
  models: ['deepseek-chat', 'deepseek-reasoner'],
  modelMap: { r1: 'deepseek-reasoner' },
});
const backup = makeChannel({
  name: 'ds-backup',
  provider: 'deepseek',
  models: ['deepseek-chat'],
  priority: 1,
});
const router = makeChannel({ name: 'openrouter', provider: 'openrouter', models: [] });
const local = makeChannel({
  name: 'box',
  provider: 'ollama',
  models: [],
  modelMap: { small: 'qwen2.5:0.5b' },
});
const all = [deepseek, backup, router, local];

const resolve = (model: string, channels = all) =>
  findCandidates(channels, model).map((c) => `${c.channel.name}:${c.upstreamModel}`);

describe('findCandidates', () => {
  it('tier 1: every channel that lists the bare name, in config order', () => {
    expect(resolve('deepseek-chat')).toEqual(['ds-main:deepseek-chat', 'ds-backup:deepseek-chat']);
  });

  it("a model named like an object's own property is sent as that name, not looked up on the prototype", () => {
    expect(resolve('box/constructor')).toEqual(['box:constructor']);
    expect(resolve('openrouter/__proto__')).toEqual(['openrouter:__proto__']);
    expect(resolve('toString')).toEqual(['openrouter:toString', 'box:toString']);
  });

  it('tier 1: a model_map key is a served name and maps to the upstream name', () => {
    expect(resolve('r1')).toEqual(['ds-main:deepseek-reasoner']);
    expect(resolve('small')).toEqual(['box:qwen2.5:0.5b']);
  });

  it('tier 2: a channel-name prefix picks that channel only and strips the prefix', () => {
    expect(resolve('ds-backup/deepseek-chat')).toEqual(['ds-backup:deepseek-chat']);
    expect(resolve('ds-main/r1')).toEqual(['ds-main:deepseek-reasoner']);
  });

  it('tier 2: a provider prefix picks the channels of that provider that serve the rest', () => {
    expect(resolve('deepseek/deepseek-chat')).toEqual(['ds-main:deepseek-chat', 'ds-backup:deepseek-chat']);
    expect(resolve('deepseek/deepseek-reasoner')).toEqual(['ds-main:deepseek-reasoner']);
  });

  it('tier 2 beats tier 3: a prefixed name stays on its channel even with any-model channels around', () => {
    expect(resolve('deepseek/deepseek-chat')).not.toContain('openrouter:deepseek/deepseek-chat');
  });

  it('tier 2: an any-model channel named by prefix takes any rest, slashes included', () => {
    expect(resolve('openrouter/meta-llama/llama-3-8b')).toEqual(['openrouter:meta-llama/llama-3-8b']);
    expect(resolve('ollama/llama3')).toEqual(['box:llama3']);
  });

  it('tier 3: an unlisted name goes to the any-model channels, unchanged', () => {
    expect(resolve('meta-llama/llama-3-8b')).toEqual([
      'openrouter:meta-llama/llama-3-8b',
      'box:meta-llama/llama-3-8b',
    ]);
    expect(resolve('gpt-4o')).toEqual(['openrouter:gpt-4o', 'box:gpt-4o']);
  });

  it('a prefixed name the channel does not list falls through to any-model channels', () => {
    expect(resolve('ds-main/unknown')).toEqual(['openrouter:ds-main/unknown', 'box:ds-main/unknown']);
  });

  it('finds nothing when no channel serves the model', () => {
    expect(resolve('gpt-4o', [deepseek, backup])).toEqual([]);
    expect(resolve('deepseek/unknown', [deepseek, backup])).toEqual([]);
  });

  it('a leading slash is not a prefix', () => {
    expect(resolve('/deepseek-chat', [deepseek])).toEqual([]);
  });
});

describe('listedModels', () => {
  it('lists models and model_map keys once; any-model channels list none', () => {
    expect(listedModels(deepseek).sort()).toEqual(['deepseek-chat', 'deepseek-reasoner', 'r1']);
    expect(listedModels(router)).toEqual([]);
    expect(listedModels(makeChannel({ name: 'x', models: ['a'], modelMap: { a: 'b' } }))).toEqual(['a']);
  });
});
