import { describe, expect, it } from 'vitest';
import { compileModelScope } from '../../src/auth/model-scope.js';

describe('compileModelScope', () => {
  it('allows every model when no pattern is given', () => {
    const allows = compileModelScope([]);
    expect(allows('gpt-4o')).toBe(true);
    expect(allows('anything/at-all')).toBe(true);
  });

  it('matches exact names exactly', () => {
    const allows = compileModelScope(['gpt-4o', 'deepseek-chat']);
    expect(allows('gpt-4o')).toBe(true);
    expect(allows('deepseek-chat')).toBe(true);
    expect(allows('gpt-4o-mini')).toBe(false);
    expect(allows('GPT-4O')).toBe(false);
  });

  it('matches a trailing glob over slashes and dashes', () => {
    const allows = compileModelScope(['deepseek/*']);
    expect(allows('deepseek/deepseek-chat')).toBe(true);
    expect(allows('deepseek/a/b')).toBe(true);
    expect(allows('deepseek')).toBe(false);
    expect(allows('openrouter/deepseek/x')).toBe(false);
  });

  it('matches leading and inner globs', () => {
    expect(compileModelScope(['*-mini'])('gpt-4o-mini')).toBe(true);
    expect(compileModelScope(['*-mini'])('gpt-4o-mini-2024')).toBe(false);
    const inner = compileModelScope(['gpt-*-preview']);
    expect(inner('gpt-4.5-preview')).toBe(true);
    expect(inner('gpt-4.5')).toBe(false);
    expect(compileModelScope(['*'])('whatever')).toBe(true);
  });

  it('treats regular-expression characters literally', () => {
    const allows = compileModelScope(['gpt-4.1*', 'qwen2.5:7b', 'a+b']);
    expect(allows('gpt-4.1-mini')).toBe(true);
    expect(allows('gpt-4x1-mini')).toBe(false);
    expect(allows('qwen2.5:7b')).toBe(true);
    expect(allows('qwen2x5:7b')).toBe(false);
    expect(allows('a+b')).toBe(true);
    expect(allows('aab')).toBe(false);
  });

  it('allows a model when any pattern matches', () => {
    const allows = compileModelScope(['gpt-4o', 'claude-*']);
    expect(allows('claude-3-haiku')).toBe(true);
    expect(allows('gpt-4o')).toBe(true);
    expect(allows('gemini-pro')).toBe(false);
  });
});
