import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { resolveSettings } from '../../src/config/settings.js';
import { createProviderRegistry } from '../../src/providers/registry.js';
import { buildChannels } from '../../src/router/build-channels.js';

/**
 * An operator copies the config examples of the docs into switchboard.yaml: each must load as
 * shown (with its `${NAME}` variables set), or the copy stops the start with an error the docs
 * never mention.
 */

const repo = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));

interface Example {
  readonly where: string;
  readonly text: string;
}

/** The ```yaml blocks of a Markdown file that are config files: they start at a top-level key. */
function yamlExamples(path: string): Example[] {
  const lines = readFileSync(repo(path), 'utf8').split('\n');
  const examples: Example[] = [];
  let start: number | null = null;
  for (const [i, line] of lines.entries()) {
    if (start === null && line.trim() === '```yaml') start = i + 1;
    else if (start !== null && line.trim() === '```') {
      const text = lines.slice(start, i).join('\n');
      if (/^[a-z_]+:/m.test(text.split('\n').find((l) => l.trim() && !l.startsWith('#')) ?? ''))
        examples.push({ where: `${path}:${start}`, text });
      start = null;
    }
  }
  return examples;
}

/** Every `${NAME}` without a fallback the text references, set to a value a key may be. */
function envFor(text: string): Record<string, string> {
  const names = [...text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((m) => m[1] as string);
  return Object.fromEntries(names.map((name) => [name, `value-of-${name.toLowerCase()}`]));
}

const markdown = ['README.md', ...readdirSync(repo('docs')).map((f) => `docs/${f}`)].filter((f) =>
  f.endsWith('.md'),
);
const examples = [
  ...markdown
    .flatMap(yamlExamples)
    // The Prometheus scrape configurations of monitoring.md are not Switchboard config files.
    .filter((example) => !example.text.startsWith('scrape_configs:')),
  { where: 'switchboard.example.yaml', text: readFileSync(repo('switchboard.example.yaml'), 'utf8') },
];
const providers = createProviderRegistry({ name: 'test' });

describe('config examples in the docs', () => {
  it('finds the examples', () => {
    expect(examples.length).toBeGreaterThan(10);
  });

  it.each(examples)('$where loads as shown', ({ where, text }) => {
    const settings = resolveSettings({ env: envFor(text), file: { path: where, text } });
    expect(() => buildChannels(settings.channels, providers)).not.toThrow();
  });
});
