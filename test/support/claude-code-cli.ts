import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const CLAUDE = fileURLToPath(new URL('../../node_modules/.bin/claude', import.meta.url));

/** The Claude Code CLI is an npm dependency; a platform without its binary skips, saying so. */
export function claudeAvailable(): boolean {
  if (existsSync(CLAUDE)) return true;
  const why = `Claude Code not found at ${CLAUDE}`;
  if (process.env.REQUIRE_SERVICES === '1') throw new Error(`REQUIRE_SERVICES=1 but ${why}`);
  console.warn(`SKIPPING the Claude Code tests: ${why}`);
  return false;
}

/**
 * `claude -p <prompt>` (the Read tool allowed) in `project`, against the gateway at `baseUrl`
 * with a fresh HOME and nothing but loopback traffic.
 */
export function runClaude(
  prompt: string,
  at: { readonly baseUrl: string; readonly key: string; readonly project: string; readonly home: string },
): Promise<{ code: number | null; out: string }> {
  const child = spawn(CLAUDE, ['-p', prompt, '--allowedTools', 'Read'], {
    cwd: at.project,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: at.home,
      ANTHROPIC_BASE_URL: at.baseUrl,
      ANTHROPIC_API_KEY: at.key,
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      DISABLE_AUTOUPDATER: '1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, out })));
}
