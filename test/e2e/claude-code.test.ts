import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { channel, startTestGateway, type TestGateway } from '../support/start-gateway.js';
import { type ScriptedUpstream, startScriptedUpstream } from './claude-code-upstream.js';

const CLAUDE = fileURLToPath(new URL('../../node_modules/.bin/claude', import.meta.url));
const MARKER = 'switchboard-marker-7f3a91';
const FINAL = 'The note says the marker is present.';

/** The Claude Code CLI is an npm dependency; a platform without its binary skips, saying so. */
function claudeAvailable(): boolean {
  if (existsSync(CLAUDE)) return true;
  const why = `Claude Code not found at ${CLAUDE}`;
  if (process.env.REQUIRE_SERVICES === '1') throw new Error(`REQUIRE_SERVICES=1 but ${why}`);
  console.warn(`SKIPPING the Claude Code tests: ${why}`);
  return false;
}

let gw: TestGateway;
let upstream: ScriptedUpstream;
let project: string;
let home: string;

beforeAll(async () => {
  project = mkdtempSync(join(tmpdir(), 'sb-cc-project-'));
  home = mkdtempSync(join(tmpdir(), 'sb-cc-home-'));
  writeFileSync(join(project, 'note.txt'), `${MARKER}\n`);
  upstream = await startScriptedUpstream(join(project, 'note.txt'), FINAL);
  // Every model Claude Code asks for (its main model and the small one for side requests).
  gw = await startTestGateway({
    channels: [channel({ name: 'scripted', base_url: upstream.baseUrl, keys: ['upstream-key'] })],
  });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
  for (const dir of [project, home]) if (dir) rmSync(dir, { recursive: true, force: true });
});

/** `claude -p <prompt>` against the gateway, with a fresh HOME and nothing but loopback traffic. */
function runClaude(prompt: string, key: string): Promise<{ code: number | null; out: string }> {
  const child = spawn(CLAUDE, ['-p', prompt, '--allowedTools', 'Read'], {
    cwd: project,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: home,
      ANTHROPIC_BASE_URL: gw.url,
      ANTHROPIC_API_KEY: key,
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

describe.runIf(claudeAvailable())('Claude Code through Switchboard to an OpenAI-format upstream', () => {
  it('runs a Read tool call and prints the final answer; the upstream sees the file in the tool result', async () => {
    const { code, out } = await runClaude('What does note.txt say?', gw.key);
    expect(out).toContain(FINAL);
    expect(code).toBe(0);
    const call = upstream.seen.find((r) => r.json.messages?.some((m) => m.role === 'tool'));
    const result = call?.json.messages?.find((m) => m.role === 'tool');
    expect(JSON.stringify(result?.content)).toContain(MARKER);
    // Claude Code's mid-conversation system message stayed a system message.
    expect(call?.json.messages?.filter((m) => m.role === 'system').length).toBeGreaterThan(0);
  }, 120_000);

  it('fails at once with a wrong key: one /v1/messages request, no retry storm, an auth error', async () => {
    const before = gw.usage.length;
    const seenBefore = upstream.seen.length;
    const { code, out } = await runClaude('Hello', 'sk-wrong-key-for-switchboard');
    expect(code).not.toBe(0);
    expect(out).toMatch(/401|auth|api key/i);
    const attempts = gw.usage.slice(before).filter((r) => r.status === 401);
    expect(attempts.length).toBeGreaterThanOrEqual(1);
    expect(attempts.length).toBeLessThanOrEqual(2);
    expect(upstream.seen.length).toBe(seenBefore);
  }, 120_000);
});
