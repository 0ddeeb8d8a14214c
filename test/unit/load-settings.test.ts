import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/runtime/node/load-settings.js';

const dir = mkdtempSync(join(tmpdir(), 'sb-load-settings-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('loadSettings: where the config file is', () => {
  it('reads the file CONFIG names', () => {
    const path = join(dir, 'gateway.yaml');
    writeFileSync(path, 'server: { port: 9100 }\n');
    expect(loadSettings({ CONFIG: path }).port).toBe(9100);
  });

  it('says a missing CONFIG file is missing', () => {
    expect(() => loadSettings({ CONFIG: join(dir, 'nope.yaml') })).toThrow(/^CONFIG: no such file: /);
  });

  it('names CONFIG when it is set but empty, instead of reading the working directory (EISDIR)', () => {
    expect(() => loadSettings({ CONFIG: '' })).toThrow(/^CONFIG: set but empty/);
  });

  it('names CONFIG when it points at a folder (a bind mount of a missing file makes one)', () => {
    expect(() => loadSettings({ CONFIG: dir })).toThrow(new RegExp(`^CONFIG: not a file: ${dir}`));
  });

  it('reads a CONFIG that is a pipe, as CONFIG=<(envsubst < tpl.yaml) gives', () => {
    const fifo = join(dir, 'piped.yaml');
    execFileSync('mkfifo', [fifo]);
    const writer = spawn('sh', ['-c', 'printf "server: { port: 9101 }\\n" > "$0"', fifo], {
      stdio: 'ignore',
    });
    try {
      expect(loadSettings({ CONFIG: fifo }).port).toBe(9101);
    } finally {
      writer.kill();
    }
  });
});
